"""The Microsoft identity platform's authorization-code flow (v2 endpoints): the
authorization URL (PKCE S256), the code exchange and the refresh. Every URL comes from
the settings (``microsoft_login_url``, ``microsoft_tenant``).

Scopes: ``offline_access`` (a refresh token), ``Calendars.ReadWrite`` (events, the
calendar list, subscriptions on events) and ``User.Read`` (``/me``: the account's stable
id and address, to tell one mailbox from another). A grant without
``Calendars.ReadWrite`` is refused as not connected.

Refresh tokens ROTATE: every refresh answers a new one, which must be stored before it
is used again (the store's coordinator does, as for Cronofy). A refused refresh
(``invalid_grant``: revoked, expired, password reset; ``interaction_required``: consent
or MFA needed again) means the agent must reconnect.

Microsoft has no endpoint that withdraws one app's grant with the user's token (only an
administrator, or the user at https://myapps.microsoft.com, can remove it), so
:meth:`revoke` is a no-op; disconnecting forgets the tokens, and they die unused after
90 days.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from zdcal.calendars.microsoft.errors import (
    GraphError,
    TokenRefreshFailed,
    Unreachable,
    error_for,
)
from zdcal.clock import Clock
from zdcal.http.oauth import authorization_url, expires_at, grant, post_token_request
from zdcal.http.retry import Sleep
from zdcal.store import CalendarTokens

WRITE_SCOPE = "Calendars.ReadWrite"
SCOPES = ("offline_access", WRITE_SCOPE, "User.Read")
GRAPH_SCOPE_PREFIX = "https://graph.microsoft.com/"
RECONNECT_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
"""Token-endpoint ``error`` values that only the user can mend (by connecting again)."""


@dataclass(frozen=True)
class Granted:
    """A token answer: the tokens to store and the scopes granted."""

    tokens: CalendarTokens
    scope: str | None


@dataclass(frozen=True)
class MicrosoftOAuthClient:
    """The app zdcal is in Microsoft Entra, and where the identity platform is."""

    client_id: str
    client_secret: str = field(repr=False)
    login_url: str
    tenant: str = "common"

    def _endpoint(self, name: str) -> str:
        return f"{self.login_url.rstrip('/')}/{self.tenant}/oauth2/v2.0/{name}"

    def authorize_url(self, redirect_uri: str, state: str, challenge: str) -> str:
        """Where to send the agent's browser: the account picker, then consent; PKCE S256;
        the code comes back in the query."""
        return authorization_url(
            self._endpoint("authorize"), self.client_id, redirect_uri, " ".join(SCOPES),
            state, response_mode="query", prompt="select_account",
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
            scope=" ".join(SCOPES),
        )
        data = await self._post(http, body, clock, sleep)
        return _granted(data, clock)

    async def refresh(
        self, http: httpx.AsyncClient, refresh_token: str, *, clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> CalendarTokens:
        """New tokens, the refresh token included (it rotates); a refusal only the user
        can mend raises :class:`TokenRefreshFailed`."""
        return (await self.refresh_granted(http, refresh_token, clock=clock, sleep=sleep)).tokens

    async def refresh_granted(
        self, http: httpx.AsyncClient, refresh_token: str, *, clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> Granted:
        """:meth:`refresh`, with the scope the answer says the tokens carry."""
        body = grant("refresh_token", self.client_id, self.client_secret,
                     refresh_token=refresh_token, scope=" ".join(SCOPES))
        try:
            data = await self._post(http, body, clock, sleep)
        except GraphError as error:
            if error.code in RECONNECT_ERRORS:
                raise TokenRefreshFailed(str(error), status=error.status,
                                         code=error.code) from error
            raise
        return _granted(data, clock, previous_refresh_token=refresh_token)

    async def _post(
        self, http: httpx.AsyncClient, body: dict[str, Any], clock: Clock, sleep: Sleep,
    ) -> Any:
        response = await post_token_request(
            http, self._endpoint("token"), body, service="Microsoft", unreachable=Unreachable,
            clock=clock, sleep=sleep, form=True,
        )
        if not response.is_success:
            raise error_for(response.status_code, response.content,
                            f"POST {response.url.path}")
        try:
            return response.json()
        except ValueError as exc:
            raise GraphError("Microsoft's token answer is not JSON") from exc


def has_write_scope(granted: str | None) -> bool:
    """Whether a token answer's ``scope`` includes writing calendars (unstated: assumed)."""
    if granted is None:
        return True
    have = {s.removeprefix(GRAPH_SCOPE_PREFIX).lower() for s in granted.split()}
    return WRITE_SCOPE.lower() in have


def _granted(data: Any, clock: Clock, *, previous_refresh_token: str | None = None) -> Granted:
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        raise GraphError("Microsoft's token answer carried no access token")
    refresh_token = data.get("refresh_token") or previous_refresh_token
    if not refresh_token:
        raise GraphError("Microsoft's token answer carried no refresh token "
                         "(offline_access not granted)")
    expires = expires_at(clock.now(), data.get("expires_in"))
    tokens = CalendarTokens(str(data["access_token"]), str(refresh_token), expires)
    scope = data.get("scope")
    return Granted(tokens, scope if isinstance(scope, str) else None)
