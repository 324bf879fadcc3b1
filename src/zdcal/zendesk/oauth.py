"""Zendesk OAuth: the authorization URL (with PKCE), code exchange and token refresh.

Zendesk's token endpoint lives at ``{base}/oauth/tokens`` and takes JSON. Refresh tokens
rotate on every use, so whoever calls :func:`refresh` must store the returned one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx

from zdcal.clock import Clock, SystemClock
from zdcal.http.oauth import (
    TOKEN_POLICY,
    authorization_url,
    expires_at,
    grant,
    post_token_request,
)
from zdcal.http.retry import RetryPolicy, Sleep
from zdcal.zendesk.auth import OAuthTokens
from zdcal.zendesk.errors import (
    TokenRefreshFailed,
    Unreachable,
    ZendeskError,
    error_from_response,
)


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    code_challenge: str | None = None,
) -> str:
    """Where to send the admin's browser to grant zdcal access."""
    endpoint = f"{base_url.rstrip('/')}/oauth/authorizations/new"
    pkce = {}
    if code_challenge is not None:
        pkce = {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    return authorization_url(endpoint, client_id, redirect_uri, scope, state, **pkce)


async def exchange_code(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    scope: str | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy = TOKEN_POLICY,
    sleep: Sleep = asyncio.sleep,
) -> OAuthTokens:
    """Trade an authorization code (valid 120 s, single use) for tokens."""
    body = grant(
        "authorization_code", client_id, client_secret, code=code, redirect_uri=redirect_uri
    )
    if code_verifier is not None:
        body["code_verifier"] = code_verifier
    if scope is not None:
        body["scope"] = scope
    return await _token_request(http, base_url, body, clock or SystemClock(), policy, sleep)


async def refresh(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    clock: Clock | None = None,
    policy: RetryPolicy = TOKEN_POLICY,
    sleep: Sleep = asyncio.sleep,
) -> OAuthTokens:
    """New tokens for a refresh token; raises :class:`TokenRefreshFailed` if refused."""
    body = grant("refresh_token", client_id, client_secret, refresh_token=refresh_token)
    tokens = await _token_request(http, base_url, body, clock or SystemClock(), policy, sleep)
    if tokens.refresh_token is None:
        # Not every answer repeats the refresh token; then the old one stays valid.
        return dataclasses.replace(tokens, refresh_token=refresh_token)
    return tokens


async def _token_request(
    http: httpx.AsyncClient,
    base_url: str,
    body: dict[str, Any],
    clock: Clock,
    policy: RetryPolicy,
    sleep: Sleep,
) -> OAuthTokens:
    response = await post_token_request(
        http,
        f"{base_url.rstrip('/')}/oauth/tokens",
        body,
        service="Zendesk",
        unreachable=Unreachable,
        policy=policy,
        clock=clock,
        sleep=sleep,
    )
    if response.status_code != 200:
        error = error_from_response(response)
        if response.status_code in (400, 401) and body["grant_type"] == "refresh_token":
            raise TokenRefreshFailed(
                str(error), status=error.status, code=error.code, description=error.description
            ) from error
        raise error
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        # Whatever answered is not Zendesk's token endpoint (a wrong base URL, a proxy page).
        raise ZendeskError(
            f"Zendesk's token endpoint answered {response.status_code} without tokens",
            status=response.status_code,
        )
    now = clock.now()
    return OAuthTokens(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        expires_at=expires_at(now, data.get("expires_in")),
        scope=data.get("scope"),
        refresh_token_expires_at=expires_at(now, data.get("refresh_token_expires_in")),
    )
