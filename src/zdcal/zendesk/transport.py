"""One authenticated, retried, rate-limit-aware request to Zendesk.

Everything about *how* to talk to Zendesk (auth header, one OAuth refresh on 401, the
shared retry policy, reading rate-limit headers, typed errors) lives here, so the client
module is only about *what* to ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Unpack

import httpx

from zdcal.http import parse_retry_after
from zdcal.http.budgets import RateBudget
from zdcal.http.credentials import RefreshingCredential
from zdcal.http.remote import HttpOptions, RemoteApi, unreachable_text
from zdcal.zendesk import oauth
from zdcal.zendesk.auth import OAuthAuth, OAuthTokens, ZendeskAuth
from zdcal.zendesk.errors import Unreachable, ZendeskError, error_from_response
from zdcal.zendesk.models import RateLimitStatus

# Refresh a little before the stated expiry so a token does not die in flight.
EXPIRY_MARGIN = timedelta(seconds=60)

OnTokens = Callable[[OAuthTokens], Awaitable[None] | None]

ZENDESK_DEFAULT_REQUESTS_PER_MINUTE = 100
"""An account's budget before Zendesk reported its plan's limit: half the lowest plan's
published 200 a minute (the account's other apps share it). The first Support API
response's ``ratelimit-limit`` replaces it, for every process."""

INCREMENTAL_EXPORTS_PER_MINUTE = 10
"""Zendesk's own limit of the incremental exports, per account, beside the account-wide
one (docs: ``zendesk-ratelimit-incremental-exports: total=10``)."""


def _parse_int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value.strip())
    except ValueError:
        return None


def _parse_endpoint_limit(value: str) -> dict[str, str]:
    """``total=10; remaining=9; resets=42`` as a dict."""
    parts = (item.split("=", 1) for item in value.split(";") if "=" in item)
    return {key.strip(): val.strip() for key, val in parts}


ENDPOINT_LIMIT_PREFIXES = ("zendesk-ratelimit-", "zendesk-rate-limit-")


def _endpoint_limit_name(header: str) -> str | None:
    """``incremental-exports`` for ``zendesk-ratelimit-incremental-exports``, else None."""
    for prefix in ENDPOINT_LIMIT_PREFIXES:
        if header.startswith(prefix):
            return header.removeprefix(prefix)
    return None


def _unreachable(exc: httpx.TransportError, request: httpx.Request) -> Unreachable:
    return Unreachable(unreachable_text("Zendesk", exc, request))


def _refreshable(auth: ZendeskAuth) -> bool:
    return isinstance(auth, OAuthAuth) and auth.can_refresh


def _expiring(auth: ZendeskAuth, now: datetime) -> bool:
    return isinstance(auth, OAuthAuth) and auth.expires_within(now, EXPIRY_MARGIN)


class ZendeskTransport(RemoteApi):
    """Sends requests to one Zendesk account. Owns the httpx client only if it made it."""

    def __init__(
        self,
        base_url: str,
        auth: ZendeskAuth,
        *,
        on_tokens: OnTokens | None = None,
        budget: RateBudget | None = None,
        export_budget: RateBudget | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        if budget is not None:
            http["limiter"] = budget
        super().__init__(base_url, on_failure=_unreachable, **http)
        self._on_tokens = on_tokens
        self._budget = budget
        self._export_budget = export_budget
        self._auth: RefreshingCredential[ZendeskAuth] = RefreshingCredential(
            auth, self._refreshed_auth
        )
        self.rate_limit: RateLimitStatus | None = None
        self.endpoint_rate_limits: dict[str, RateLimitStatus] = {}

    @property
    def auth(self) -> ZendeskAuth:
        """The credentials in use now (after any refresh)."""
        return self._auth.current

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool,
        needs: str | None = None,
    ) -> httpx.Response:
        """Send and return a 2xx response, or raise the matching :class:`ZendeskError`."""
        if not self.same_origin(url):
            raise ZendeskError(f"refusing to send credentials to another host: {url}")
        response = await self.send_authorized(
            self._auth,
            method,
            url,
            params=params,
            json=json,
            idempotent=idempotent,
            authorization=lambda auth: auth.authorization(),
            expiring=_expiring,
            refreshable=_refreshable,
        )
        plan_limit = self._observe_rate_limits(response)
        if plan_limit is not None and self._budget is not None:
            await self._budget.learn(plan_limit)
        if response.is_success:
            return response
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        raise error_from_response(response, needs=needs, retry_after=retry_after)

    async def _refreshed_auth(self, stale: ZendeskAuth) -> ZendeskAuth:
        if not isinstance(stale, OAuthAuth) or stale.refresh_token is None:
            raise ZendeskError("these credentials cannot be refreshed")
        tokens = await oauth.refresh(
            self.http,
            self.base_url,
            client_id=stale.client_id,
            client_secret=stale.client_secret,
            refresh_token=stale.refresh_token,
            clock=self.clock,
            sleep=self.sleep,
        )
        if self._on_tokens is not None:
            # Store the rotated refresh token before anything can use it.
            outcome = self._on_tokens(tokens)
            if outcome is not None:
                await outcome
        return stale.with_tokens(tokens)

    def _observe_rate_limits(self, response: httpx.Response) -> int | None:
        """Remember the limits a response reports, where it reports them; the account's
        plan limit when this response reported it.

        Recorded Zendesk traffic: Support API responses carry the account's plan limit
        as ``ratelimit-*`` (``rate-limit-*`` before 2024) beside ``X-Rate-Limit``; the
        Webhooks API answers only ``x-rate-limit`` for its own 100/minute budget, so that
        header alone says nothing about the account. Endpoint limits
        (``zendesk-ratelimit-<name>``, ``zendesk-rate-limit-<name>`` before 2024) appear
        on some endpoints only (never on the exports): absence is normal, never assumed.
        """
        headers = response.headers
        now = self.clock.now()
        limit = _parse_int(headers.get("ratelimit-limit") or headers.get("rate-limit"))
        remaining = _parse_int(
            headers.get("ratelimit-remaining") or headers.get("rate-limit-remaining")
        )
        if limit is not None or remaining is not None:
            reset = _parse_int(headers.get("ratelimit-reset") or headers.get("rate-limit-reset"))
            self.rate_limit = RateLimitStatus(
                limit=limit,
                remaining=remaining,
                reset_seconds=None if reset is None else float(reset),
                observed_at=now,
            )
        for name, value in headers.items():
            endpoint = _endpoint_limit_name(name.lower())
            if endpoint is None:
                continue
            fields = _parse_endpoint_limit(value)
            resets = _parse_int(fields.get("resets"))
            self.endpoint_rate_limits[endpoint] = RateLimitStatus(
                limit=_parse_int(fields.get("total")),
                remaining=_parse_int(fields.get("remaining")),
                reset_seconds=None if resets is None else float(resets),
                observed_at=now,
            )
        return limit
