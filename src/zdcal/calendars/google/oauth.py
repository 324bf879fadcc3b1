"""Google's OAuth 2.0 web-server flow: the authorization URL (PKCE S256, offline), the
code exchange, the refresh and the revocation. Every URL comes from the settings.

Scopes are the narrowest that do the job: ``calendar.events`` (read and write events,
push channels on them) and ``calendar.calendarlist.readonly`` (the calendars to offer).
A grant missing either (Google's consent screen lets users untick scopes) is refused
as not connected.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from zdcal.calendars.google.errors import (
    GoogleError,
    TokenRefreshFailed,
    Unreachable,
    error_for,
)
from zdcal.clock import Clock
from zdcal.http.oauth import authorization_url, expires_at, grant, post_token_request
from zdcal.http.retry import Sleep
from zdcal.store import CalendarTokens

EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
SCOPES = (EVENTS_SCOPE, CALENDAR_LIST_SCOPE)
AUTHORIZE_PATH = "/o/oauth2/v2/auth"


@dataclass(frozen=True)
class Granted:
    """A token answer: the tokens to store and the scopes the user granted."""

    tokens: CalendarTokens
    scope: str | None


@dataclass(frozen=True)
class GoogleOAuthClient:
    """The OAuth client zdcal is at Google, and where Google's endpoints are."""

    client_id: str
    client_secret: str = field(repr=False)
    oauth_url: str
    token_url: str
    revoke_url: str

    def authorize_url(self, redirect_uri: str, state: str, challenge: str) -> str:
        """Where to send the agent's browser: offline access (a refresh token), consent
        asked every time (a fresh refresh token even on a reconnect), PKCE S256."""
        return authorization_url(
            f"{self.oauth_url.rstrip('/')}{AUTHORIZE_PATH}", self.client_id, redirect_uri,
            " ".join(SCOPES), state,
            access_type="offline", prompt="consent", include_granted_scopes="true",
            code_challenge=challenge, code_challenge_method="S256",
        )

    async def exchange_code(
        self, http: httpx.AsyncClient, *, code: str, redirect_uri: str, code_verifier: str,
        clock: Clock, sleep: Sleep = asyncio.sleep,
    ) -> Granted:
        """Trade an authorization code (and its PKCE verifier) for the account's tokens."""
        body = grant(
            "authorization_code", self.client_id, self.client_secret,
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier,
        )
        data = await self._post(http, self.token_url, body, clock, sleep)
        return _granted(data, clock, previous_refresh_token=None)

    async def refresh(
        self, http: httpx.AsyncClient, refresh_token: str, *, clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> CalendarTokens:
        """A new access token (Google keeps the refresh token); a refused refresh token
        (``invalid_grant``) raises :class:`TokenRefreshFailed`."""
        return (await self.refresh_granted(http, refresh_token, clock=clock, sleep=sleep)).tokens

    async def refresh_granted(
        self, http: httpx.AsyncClient, refresh_token: str, *, clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> Granted:
        """:meth:`refresh`, with the scopes the grant holds (Google says them in every
        token answer)."""
        body = grant("refresh_token", self.client_id, self.client_secret,
                     refresh_token=refresh_token)
        try:
            data = await self._post(http, self.token_url, body, clock, sleep)
        except GoogleError as error:
            if error.status in (400, 401):
                raise TokenRefreshFailed(str(error), status=error.status,
                                         reason=error.reason) from error
            raise
        return _granted(data, clock, previous_refresh_token=refresh_token)

    async def revoke(
        self, http: httpx.AsyncClient, token: str, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        """Withdraw the grant (revoking the refresh token ends its access tokens too).
        A token Google no longer knows (400) is already withdrawn: done."""
        try:
            await self._post(http, self.revoke_url, {"token": token}, None, sleep)
        except GoogleError as error:
            if error.status != 400:
                raise

    @staticmethod
    async def _post(
        http: httpx.AsyncClient, url: str, body: dict[str, Any], clock: Clock | None,
        sleep: Sleep,
    ) -> Any:
        response = await post_token_request(
            http, url, body, service="Google", unreachable=Unreachable, clock=clock,
            sleep=sleep, form=True,
        )
        if not response.is_success:
            raise error_for(response.status_code, response.content, f"POST {response.url.path}")
        return response.json() if response.content else {}


def missing_scopes(granted: str | None) -> list[str]:
    """The scopes zdcal needs that a token answer's ``scope`` lacks (none known: none)."""
    if granted is None:
        return []
    have = set(granted.split())
    return [scope for scope in SCOPES if scope not in have]


def _granted(data: Any, clock: Clock, *, previous_refresh_token: str | None) -> Granted:
    refresh_token = data.get("refresh_token") or previous_refresh_token
    if not refresh_token:
        raise GoogleError("Google's token answer carried no refresh token")
    expires = expires_at(clock.now(), data.get("expires_in"))
    tokens = CalendarTokens(str(data["access_token"]), str(refresh_token), expires)
    return Granted(tokens, data.get("scope"))
