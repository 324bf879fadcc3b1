"""Zendesk OAuth: the authorization URL (with PKCE), code exchange and token refresh.

Zendesk's token endpoint lives at ``{base}/oauth/tokens`` and takes JSON. Refresh tokens
rotate on every use, so whoever calls :func:`refresh` must store the returned one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from zdcal.clock import Clock, SystemClock
from zdcal.http import RetryPolicy, send
from zdcal.http.retry import Sleep
from zdcal.zendesk.auth import OAuthTokens
from zdcal.zendesk.errors import (
    TokenRefreshFailed,
    Unreachable,
    ZendeskError,
    error_from_response,
)

# A token request is never repeated after a possible delivery: codes are single use and
# refresh tokens rotate, so a blind resend could burn the only valid grant.
_TOKEN_POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=5.0, max_total_wait=15.0)


@dataclass(frozen=True)
class PkcePair:
    """A PKCE code verifier (kept secret until the exchange) and its S256 challenge."""

    verifier: str = field(repr=False)
    challenge: str


def make_pkce_pair() -> PkcePair:
    """A fresh random verifier (86 URL-safe characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return PkcePair(verifier=verifier, challenge=challenge)


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    code_challenge: str | None = None,
) -> str:
    """Where to send the admin's browser to grant zdcal access."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    return f"{base_url.rstrip('/')}/oauth/authorizations/new?{urlencode(params)}"


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
    policy: RetryPolicy = _TOKEN_POLICY,
    sleep: Sleep = asyncio.sleep,
) -> OAuthTokens:
    """Trade an authorization code (valid 120 s, single use) for tokens."""
    body: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
    }
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
    policy: RetryPolicy = _TOKEN_POLICY,
    sleep: Sleep = asyncio.sleep,
) -> OAuthTokens:
    """New tokens for a refresh token; raises :class:`TokenRefreshFailed` if refused."""
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    tokens = await _token_request(http, base_url, body, clock or SystemClock(), policy, sleep)
    if tokens.refresh_token is None:
        # Not every answer repeats the refresh token; then the old one stays valid.
        return OAuthTokens(
            access_token=tokens.access_token,
            refresh_token=refresh_token,
            expires_at=tokens.expires_at,
            scope=tokens.scope,
            refresh_token_expires_at=tokens.refresh_token_expires_at,
        )
    return tokens


async def _token_request(
    http: httpx.AsyncClient,
    base_url: str,
    body: dict[str, Any],
    clock: Clock,
    policy: RetryPolicy,
    sleep: Sleep,
) -> OAuthTokens:
    request = http.build_request(
        "POST",
        f"{base_url.rstrip('/')}/oauth/tokens",
        json=body,
        headers={"Accept": "application/json"},
    )
    try:
        response = await send(
            http, request, policy=policy, idempotent=False, clock=clock, sleep=sleep
        )
    except httpx.TransportError as exc:
        raise Unreachable(f"Zendesk token endpoint unreachable: {type(exc).__name__}") from exc
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
    expires_in = data.get("expires_in")
    refresh_expires_in = data.get("refresh_token_expires_in")
    return OAuthTokens(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        expires_at=None if expires_in is None else now + timedelta(seconds=float(expires_in)),
        scope=data.get("scope"),
        refresh_token_expires_at=(
            None
            if refresh_expires_in is None
            else now + timedelta(seconds=float(refresh_expires_in))
        ),
    )
