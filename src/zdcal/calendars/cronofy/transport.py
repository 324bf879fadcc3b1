"""One authenticated, paced, retried request to Cronofy for one linked account.

Handles the bearer token, one refresh (then one retry) on 401, proactive refresh just
before the known expiry, pacing under the application-wide rate limits, and typed errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Unpack

import httpx

from zdcal.calendars.cronofy import oauth
from zdcal.calendars.cronofy.errors import CronofyError, Unreachable, error_from_response
from zdcal.calendars.cronofy.models import CronofyTokens
from zdcal.http import Budgets, Rate, RateBudget
from zdcal.http.credentials import RefreshingCredential
from zdcal.http.remote import HttpOptions, RemoteApi, unreachable_text

CRONOFY_RATES = (Rate(50, 1.0), Rate(500, 60.0))
"""Cronofy's documented limits per application: 50 requests/second and 500/minute (the
settings' defaults; an application with other limits sets its own)."""

# Refresh slightly before the stated expiry so a token does not die in flight.
EXPIRY_MARGIN_SECONDS = 60.0

OnTokens = Callable[[CronofyTokens], Awaitable[None] | None]

RefreshAtCronofy = Callable[[CronofyTokens], Awaitable[CronofyTokens]]
"""Trades stale tokens for fresh ones at Cronofy's token endpoint."""

RefreshCoordinator = Callable[[CronofyTokens, RefreshAtCronofy], Awaitable[CronofyTokens]]
"""Wraps every refresh: given the stale tokens and the call that refreshes them at Cronofy,
answers the tokens to use from now on (perhaps ones another process refreshed)."""


def _unreachable(exc: httpx.TransportError, request: httpx.Request) -> Unreachable:
    return Unreachable(unreachable_text("Cronofy", exc, request))


APPLICATION_SCOPE = "cronofy:app"
"""The budget scope of Cronofy's per-application limits."""


def application_rate_limiter(
    budgets: Budgets | None = None, rates: Sequence[Rate] = CRONOFY_RATES
) -> RateBudget:
    """The budget of Cronofy's per-application limits in ``budgets`` (the cluster's;
    by default this process's alone): every client of the application shares it."""
    return (budgets or Budgets.local()).rate(APPLICATION_SCOPE, tuple(rates))


class CronofyTransport(RemoteApi):
    """Sends requests for one linked account. Owns the httpx client only if it made it."""

    def __init__(
        self,
        api_base_url: str,
        tokens: CronofyTokens,
        *,
        client_id: str,
        client_secret: str,
        on_tokens: OnTokens | None = None,
        coordinate_refresh: RefreshCoordinator | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        if http.get("limiter") is None:
            http["limiter"] = application_rate_limiter()
        super().__init__(api_base_url, on_failure=_unreachable, **http)
        self._client_id = client_id
        self._client_secret = client_secret
        self._coordinate_refresh = coordinate_refresh
        self._tokens = RefreshingCredential(tokens, self._refreshed, on_tokens)

    @property
    def tokens(self) -> CronofyTokens:
        """The tokens in use now (after any refresh)."""
        return self._tokens.current

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool,
    ) -> httpx.Response:
        """Send and return a 2xx (or 207) response, or raise the matching CronofyError."""
        if not self.same_origin(url):
            raise CronofyError(f"refusing to send the access token to another host: {url}")
        response = await self.send_authorized(
            self._tokens,
            method,
            url,
            params=params,
            json=json,
            idempotent=idempotent,
            authorization=lambda tokens: f"Bearer {tokens.access_token}",
            expiring=lambda tokens, now: tokens.expires_within(now, EXPIRY_MARGIN_SECONDS),
        )
        if response.is_success:
            return response
        raise error_from_response(response)

    async def _refreshed(self, stale: CronofyTokens) -> CronofyTokens:
        if self._coordinate_refresh is None:
            fresh = await self._refresh_at_cronofy(stale)
        else:
            fresh = await self._coordinate_refresh(stale, self._refresh_at_cronofy)
        # A refresh answer may omit the account's identity; keep what we knew.
        keep: Mapping[str, Any] = {
            name: getattr(stale, name)
            for name in ("scope", "account_id", "sub", "linking_profile")
            if getattr(fresh, name) is None
        }
        return dataclasses.replace(fresh, **keep)

    async def _refresh_at_cronofy(self, stale: CronofyTokens) -> CronofyTokens:
        return await oauth.refresh(
            self.http,
            self.base_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            refresh_token=stale.refresh_token,
            clock=self.clock,
            sleep=self.sleep,
        )
