"""Cronofy OAuth: the authorization URL, code exchange, refresh and revocation.

The browser goes to the *app* host (``app.cronofy.com`` or a data center's); tokens come
from the *API* host. Both base URLs are configurable.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from zdcal.calendars.cronofy.errors import (
    CronofyError,
    TokenRefreshFailed,
    Unreachable,
    error_from_response,
)
from zdcal.calendars.cronofy.models import CronofyTokens
from zdcal.clock import Clock, SystemClock
from zdcal.http.oauth import authorization_url, expires_at, grant, post_token_request
from zdcal.http.retry import Sleep

DEFAULT_SCOPE = "read_account list_calendars read_events create_event delete_event"

def authorize_url(
    app_base_url: str,
    client_id: str,
    redirect_uri: str,
    scope: str = DEFAULT_SCOPE,
    state: str = "",
    *,
    avoid_linking: bool = False,
) -> str:
    """Where to send the agent's browser to link a calendar account."""
    endpoint = f"{app_base_url.rstrip('/')}/oauth/authorize"
    extra = {"avoid_linking": "true"} if avoid_linking else {}
    return authorization_url(endpoint, client_id, redirect_uri, scope, state, **extra)


async def exchange_code(
    http: httpx.AsyncClient,
    api_base_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
) -> CronofyTokens:
    """Trade an authorization code for the account's tokens."""
    body = grant(
        "authorization_code", client_id, client_secret, code=code, redirect_uri=redirect_uri
    )
    data = await _post(http, api_base_url, "/oauth/token", body, clock, sleep)
    return _tokens(data, clock or SystemClock(), previous_refresh_token=None)


async def refresh(
    http: httpx.AsyncClient,
    api_base_url: str,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
) -> CronofyTokens:
    """New tokens for a refresh token. Refused (400 invalid_grant) → TokenRefreshFailed."""
    body = grant("refresh_token", client_id, client_secret, refresh_token=refresh_token)
    try:
        data = await _post(http, api_base_url, "/oauth/token", body, clock, sleep)
    except CronofyError as error:
        if error.status in (400, 401):
            raise TokenRefreshFailed(str(error), status=error.status, code=error.code) from error
        raise
    return _tokens(data, clock or SystemClock(), previous_refresh_token=refresh_token)


async def revoke(
    http: httpx.AsyncClient,
    api_base_url: str,
    *,
    client_id: str,
    client_secret: str,
    token: str,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Revoke an authorization. Pass the refresh token: unlike the access token, it
    cannot have expired."""
    body = {"client_id": client_id, "client_secret": client_secret, "token": token}
    await _post(http, api_base_url, "/oauth/token/revoke", body, None, sleep)


async def _post(
    http: httpx.AsyncClient,
    api_base_url: str,
    path: str,
    body: dict[str, Any],
    clock: Clock | None,
    sleep: Sleep,
) -> Any:
    response = await post_token_request(
        http,
        f"{api_base_url.rstrip('/')}{path}",
        body,
        service="Cronofy",
        unreachable=Unreachable,
        clock=clock,
        sleep=sleep,
    )
    if not response.is_success:
        raise error_from_response(response)
    if not response.content:
        return {}
    return response.json()


def _tokens(data: Any, clock: Clock, *, previous_refresh_token: str | None) -> CronofyTokens:
    refresh_token = data.get("refresh_token") or previous_refresh_token
    if not refresh_token:
        raise CronofyError("Cronofy's token answer carried no refresh token")
    return CronofyTokens(
        access_token=str(data["access_token"]),
        refresh_token=str(refresh_token),
        expires_at=expires_at(clock.now(), data.get("expires_in")),
        scope=data.get("scope"),
        account_id=data.get("account_id"),
        sub=data.get("sub"),
        linking_profile=data.get("linking_profile"),
    )
