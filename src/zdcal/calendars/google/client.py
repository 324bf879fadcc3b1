"""The Google Calendar calls zdcal makes for one linked account, on :class:`RemoteApi`.

Handles the bearer token (refreshed just before its known expiry and once after a 401,
through the store's coordinator when the tokens are stored), Google's "slow down"
answers (429 and 403 ``rateLimitExceeded``/``userRateLimitExceeded``: retried with the
one retry policy's backoff and jitter), pacing (the project's budget and the user's,
shared by the cluster, every call inside a batch counted) and typed errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack
from urllib.parse import quote, urlsplit

import httpx

from zdcal.calendars.base import (
    CalendarAuthorizationExpired,
    TokenCoordinator,
)
from zdcal.calendars.google.batch import (
    BatchAnswer,
    BatchCall,
    BatchFormatError,
    decode_batch,
    encode_batch,
)
from zdcal.calendars.google.errors import (
    GoogleError,
    TokenRefreshFailed,
    Unauthorized,
    Unreachable,
    error_body,
    error_from_response,
    is_rate_limited,
    slow_down,
)
from zdcal.calendars.google.oauth import GoogleOAuthClient
from zdcal.http.credentials import RefreshingCredential
from zdcal.http.remote import HttpOptions, RemoteApi, unreachable_text
from zdcal.http.retry import RetryRounds, is_retryable_status
from zdcal.store import CalendarTokens

API_PATH = "/calendar/v3"
BATCH_PATH = "/batch/calendar/v3"
EXPIRY_MARGIN_SECONDS = 60.0
"""Refresh slightly before the stated expiry so a token does not die in flight."""
LIST_PAGE_SIZE = 2500
"""Google's largest events.list page: fewest requests (each one counts against quota)."""


def _unreachable(exc: httpx.TransportError, request: httpx.Request) -> Unreachable:
    return Unreachable(unreachable_text("Google", exc, request))


def _retryable(answer: BatchAnswer) -> bool:
    """A call inside a batch that a later attempt may carry out: what the retry policy
    retries (429, 5xx: every call zdcal batches is idempotent) and Google's 403 rate
    limits."""
    reason = error_body(answer.content)[0] if answer.status == 403 else None
    return is_retryable_status(answer.status, idempotent=True) or is_rate_limited(
        answer.status, reason
    )


def events_path(calendar_id: str, rest: str = "") -> str:
    """``/calendars/<id, URL-encoded>/events<rest>`` under the API (ids hold ``@``, ``#``)."""
    return f"/calendars/{quote(calendar_id, safe='')}/events{rest}"


@dataclass(frozen=True)
class EventsPage:
    """One page of events.list: its items and, on the last page, the next sync token."""

    items: list[dict[str, Any]]
    next_sync_token: str | None


class GoogleClient(RemoteApi):
    """An async client for one linked Google account (use as ``async with``).

    ``coordinate_refresh`` wraps every refresh so processes sharing one authorization
    refresh it one at a time (:mod:`zdcal.sync.token_refresh`); without it (tokens not
    stored yet) the client refreshes alone.
    """

    def __init__(
        self,
        api_base_url: str,
        tokens: CalendarTokens,
        *,
        oauth: GoogleOAuthClient,
        coordinate_refresh: TokenCoordinator | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        super().__init__(api_base_url, on_failure=_unreachable, slow_down=slow_down, **http)
        self._oauth = oauth
        self._coordinate_refresh = coordinate_refresh
        self._tokens = RefreshingCredential(tokens, self._refreshed)
        self._path_prefix = urlsplit(self.base_url).path.rstrip("/")

    @property
    def tokens(self) -> CalendarTokens:
        """The tokens in use now (after any refresh)."""
        return self._tokens.current

    # Sending ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send to ``/calendar/v3<path>``; a 2xx response, or the matching GoogleError."""
        response = await self._send(
            method, self.url(API_PATH + path), params=params, json=json, idempotent=idempotent
        )
        if response.is_success:
            return response
        raise error_from_response(response)

    async def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        return await self.send_authorized(
            self._tokens, method, url,
            authorization=lambda tokens: f"Bearer {tokens.access_token}",
            expiring=lambda tokens, now: _expires_within(tokens, now, EXPIRY_MARGIN_SECONDS),
            **options,
        )

    async def _refreshed(self, stale: CalendarTokens) -> CalendarTokens:
        if self._coordinate_refresh is None:
            return await self._refresh_at_google(stale)
        return await self._coordinate_refresh(stale, self._refresh_at_google)

    async def _refresh_at_google(self, stale: CalendarTokens) -> CalendarTokens:
        try:
            return await self._oauth.refresh(
                self.http, stale.refresh_token, clock=self.clock, sleep=self.sleep
            )
        except TokenRefreshFailed as exc:
            raise CalendarAuthorizationExpired(str(exc)) from exc

    # Batches ---------------------------------------------------------------------------

    async def batch(self, calls: Sequence[BatchCall]) -> list[BatchAnswer]:
        """Send ``calls`` in one batch request; one answer per call, in order.

        Calls refused with 401 are sent again once after a refresh (still 401:
        :class:`Unauthorized`); calls told to slow down or failing 5xx are sent again
        under the retry policy (its backoff, jitter and bounds), the others kept. What
        still fails comes back as its answer, for the caller to map.
        """
        answers: list[BatchAnswer] = [BatchAnswer(0, b"")] * len(calls)
        pending = list(range(len(calls)))
        refreshed = False
        rounds = RetryRounds(self.policy, self.sleep, self.rng)
        while pending:
            used = self._tokens.current
            got = await self._send_batch([calls[i] for i in pending])
            unauthorized, again = [], []
            for index, answer in zip(pending, got, strict=True):
                answers[index] = answer
                if answer.status == 401:
                    unauthorized.append(index)
                elif _retryable(answer):
                    again.append(index)
            if unauthorized:
                if refreshed:
                    raise Unauthorized("Google refused the access token after a refresh "
                                       f"(POST {BATCH_PATH})", status=401)
                await self._tokens.refresh(used)
                refreshed = True
            if again and not await rounds.again():
                again = []
            pending = sorted(unauthorized + again)
        return answers

    async def _send_batch(self, calls: Sequence[BatchCall]) -> list[BatchAnswer]:
        inner = [
            BatchCall(c.method, self._path_prefix + API_PATH + c.path, c.body) for c in calls
        ]
        content, content_type = encode_batch(inner)
        response = await self._send(
            "POST", self.url(BATCH_PATH), content=content, content_type=content_type,
            idempotent=True,  # our calls are: insert by our id (409 after), PUT, DELETE
            weight=len(calls),  # Google's quotas count every call inside, at every attempt
        )
        if not response.is_success:
            raise error_from_response(response)
        try:
            return decode_batch(response.headers.get("content-type", ""), response.content,
                                len(calls))
        except BatchFormatError as exc:
            raise GoogleError(f"unreadable batch answer: {exc}") from exc

    # Calls -----------------------------------------------------------------------------

    async def calendar_list(self) -> list[dict[str, Any]]:
        """Every calendar in the user's list, all pages."""
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            params = {"maxResults": "250", **({"pageToken": page_token} if page_token else {})}
            data = (await self.request("GET", "/users/me/calendarList", params=params)).json()
            items.extend(i for i in data.get("items", []) if isinstance(i, dict))
            page_token = data.get("nextPageToken")
            if not page_token:
                return items

    async def list_events(
        self, calendar_id: str, *, sync_token: str | None
    ) -> AsyncIterator[EventsPage]:
        """Every event of a calendar, cancelled ones included, page by page: all of them
        without ``sync_token``, else those changed since it (410: it expired)."""
        base: dict[str, str] = {"showDeleted": "true", "maxResults": str(LIST_PAGE_SIZE)}
        if sync_token is not None:
            base["syncToken"] = sync_token
        page_token: str | None = None
        while True:
            params = {**base, **({"pageToken": page_token} if page_token else {})}
            response = await self.request("GET", events_path(calendar_id), params=params)
            data = response.json()
            items = [i for i in data.get("items", []) if isinstance(i, dict)]
            page_token = data.get("nextPageToken")
            if not page_token:
                yield EventsPage(items, data.get("nextSyncToken"))
                return
            yield EventsPage(items, None)

    async def watch(self, calendar_id: str, channel: Mapping[str, Any]) -> dict[str, Any]:
        """``events.watch``: a push channel on the calendar's events."""
        response = await self.request(
            "POST", events_path(calendar_id, "/watch"), json=dict(channel),
            idempotent=False,
        )
        data: dict[str, Any] = response.json()
        return data

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """``channels.stop``."""
        await self.request("POST", "/channels/stop",
                           json={"id": channel_id, "resourceId": resource_id})


def _expires_within(tokens: CalendarTokens, now: Any, seconds: float) -> bool:
    return tokens.expires_at is not None and (tokens.expires_at - now).total_seconds() <= seconds
