"""The Microsoft Graph calls zdcal makes for one linked mailbox, on :class:`RemoteApi`.

Handles the bearer token (refreshed just before its known expiry and once after a 401,
through the store's coordinator when the tokens are stored: refresh tokens rotate),
Graph's "slow down" answers (429 and 503 with ``Retry-After``: waited out under the one
retry policy, inside a ``$batch`` too), the mailbox's limits (:mod:`.mailbox`) and typed
errors.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack
from urllib.parse import quote

import httpx

from zdcal.calendars.base import CalendarAuthorizationExpired, TokenCoordinator
from zdcal.calendars.microsoft.errors import (
    GraphError,
    TokenRefreshFailed,
    Unauthorized,
    Unreachable,
    error_for,
    error_from_response,
)
from zdcal.calendars.microsoft.event_shape import PROPERTY_ID
from zdcal.calendars.microsoft.mailbox import Mailbox
from zdcal.calendars.microsoft.oauth import MicrosoftOAuthClient
from zdcal.http.credentials import RefreshingCredential
from zdcal.http.pacing import AllOf, Pacer
from zdcal.http.remote import HttpOptions, RemoteApi, unreachable_text
from zdcal.http.retry import RetryRounds, is_retryable_status, parse_retry_after
from zdcal.store import CalendarTokens

API_PATH = "/v1.0"
BATCH_MAX = 20
"""Graph's most requests in one ``$batch``."""
EXPIRY_MARGIN_SECONDS = 60.0
IMMUTABLE_IDS = 'IdType="ImmutableId"'
"""Asked on every request (``Prefer``): an event's id then stays the same when the agent
moves it to another calendar of the mailbox, so zdcal's record of it stays good."""
DELTA_PAGE = "odata.maxpagesize=100"
"""Events per delta page asked for (Graph's default is 10: ten times the requests)."""


def _unreachable(exc: httpx.TransportError, request: httpx.Request) -> Unreachable:
    return Unreachable(unreachable_text("Microsoft Graph", exc, request))


def calendar_path(calendar_id: str, rest: str = "") -> str:
    """``/me/calendars/<id, URL-encoded>/<rest>``."""
    return f"/me/calendars/{quote(calendar_id, safe='')}{rest}"


def event_path(graph_id: str) -> str:
    """``/me/events/<id>``: event ids are unique across a mailbox's calendars."""
    return f"/me/events/{quote(graph_id, safe='')}"


def find_query(event_id: str) -> str:
    """The query that finds zdcal's event ``event_id`` by its extended property."""
    return _property_query(f"ep/value eq '{_literal(event_id)}'",
                           "$select=id,changeKey,start,end,isAllDay&$top=5")


def any_query(prefix: str) -> str:
    """The query that finds one event whose zdcal property starts with ``prefix`` (the
    value comparison is case-insensitive at Graph: it may find more, never less)."""
    return _property_query(f"startswith(ep/value, '{_literal(prefix)}')", "$select=id&$top=1")


def _literal(value: str) -> str:
    return value.replace("'", "''")


def _property_query(value_condition: str, rest: str) -> str:
    condition = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROPERTY_ID}' and " \
                f"{value_condition})"
    return f"?$filter={quote(condition, safe='')}&{rest}"


@dataclass(frozen=True)
class BatchCall:
    """One request inside a ``$batch``: method, URL (from ``/me`` on, query included), body."""

    method: str
    url: str
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BatchAnswer:
    """One request's answer inside a ``$batch``."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def content(self) -> bytes:
        return json.dumps(self.body).encode() if self.body is not None else b""


@dataclass(frozen=True)
class DeltaPage:
    """One page of a delta read: its items and, on the last page, the delta link."""

    items: list[dict[str, Any]]
    delta_link: str | None


class GraphClient(RemoteApi):
    """An async client for one linked mailbox (use as ``async with`` when it owns its pool).

    ``coordinate_refresh`` wraps every refresh so processes sharing one authorization
    refresh it one at a time and store each rotated refresh token
    (:mod:`zdcal.sync.token_refresh`); without it (tokens not stored yet) the client
    refreshes alone.
    """

    def __init__(
        self,
        graph_url: str,
        tokens: CalendarTokens,
        *,
        oauth: MicrosoftOAuthClient,
        mailbox: Mailbox,
        application: Pacer | None = None,
        coordinate_refresh: TokenCoordinator | None = None,
        **http: Unpack[HttpOptions],
    ) -> None:
        # The mailbox's own limit first: a request holds its place in the application's
        # only once its mailbox has room.
        http["limiter"] = AllOf(mailbox.limiter, application) if application else mailbox.limiter
        super().__init__(graph_url, on_failure=_unreachable, **http)
        self._oauth = oauth
        self._mailbox = mailbox
        self._coordinate_refresh = coordinate_refresh
        self._tokens = RefreshingCredential(tokens, self._refreshed)

    @property
    def tokens(self) -> CalendarTokens:
        """The tokens in use now (after any refresh)."""
        return self._tokens.current

    # Sending ---------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, body: Any = None, idempotent: bool = True,
    ) -> httpx.Response:
        """Send to ``/v1.0<path>``; a 2xx response, or the matching GraphError."""
        return await self.request_url(method, self.url(API_PATH + path), body=body,
                                      idempotent=idempotent)

    async def request_url(
        self, method: str, url: str, *, body: Any = None, idempotent: bool = True,
        slots: int = 1, prefer: str | None = None, weight: int = 1,
    ) -> httpx.Response:
        """Send to ``url`` (on Graph's origin only: paging and delta links are followed
        as Graph gives them) holding ``slots`` of the mailbox's concurrent requests;
        ``prefer`` is asked beside immutable ids; ``weight``: how many requests the
        limiters count it as (a ``$batch`` counts each inside)."""
        headers = {"Prefer": f"{IMMUTABLE_IDS}, {prefer}" if prefer else IMMUTABLE_IDS}
        if not self.same_origin(url):
            raise GraphError(f"Microsoft pointed zdcal away from Graph ({method})")
        async with self._mailbox.slots.hold(slots):
            response = await self.send_authorized(
                self._tokens, method, url, json=body, idempotent=idempotent, headers=headers,
                authorization=lambda tokens: f"Bearer {tokens.access_token}",
                expiring=_expiring, weight=weight,
            )
        if response.is_success:
            return response
        raise error_from_response(response)

    async def _refreshed(self, stale: CalendarTokens) -> CalendarTokens:
        if self._coordinate_refresh is None:
            return await self._refresh_at_microsoft(stale)
        return await self._coordinate_refresh(stale, self._refresh_at_microsoft)

    async def _refresh_at_microsoft(self, stale: CalendarTokens) -> CalendarTokens:
        try:
            return await self._oauth.refresh(
                self.http, stale.refresh_token, clock=self.clock, sleep=self.sleep
            )
        except TokenRefreshFailed as exc:
            raise CalendarAuthorizationExpired(
                f"Microsoft refused the refresh token: connect Outlook again ({exc})"
            ) from exc

    # Batches ---------------------------------------------------------------------------

    async def batch(self, calls: Sequence[BatchCall]) -> list[BatchAnswer]:
        """Send ``calls`` (at most :data:`BATCH_MAX`) in one ``$batch``; one answer per
        call, in order (Graph answers in any order: matched by id).

        Requests refused with 401 are sent again once after a refresh (still 401:
        :class:`Unauthorized`); those told to slow down (429, 503) or failing 5xx are
        sent again under the retry policy, after the longest ``Retry-After`` they carry
        (else the policy's backoff); the others kept. Every request zdcal batches is
        idempotent (a create carries its ``transactionId``). What still fails comes back
        as its answer, for the caller to map.
        """
        if len(calls) > BATCH_MAX:
            raise ValueError(f"a $batch holds at most {BATCH_MAX} requests")
        answers: list[BatchAnswer] = [BatchAnswer(0)] * len(calls)
        pending = list(range(len(calls)))
        refreshed = False
        rounds = RetryRounds(self.policy, self.sleep, self.rng)
        while pending:
            used = self._tokens.current
            got = await self._send_batch([calls[i] for i in pending])
            unauthorized, again = [], []
            asked: list[float] = []
            for index, answer in zip(pending, got, strict=True):
                answers[index] = answer
                if answer.status == 401:
                    unauthorized.append(index)
                elif is_retryable_status(answer.status, idempotent=True):
                    again.append(index)
                    wait = parse_retry_after(_header(answer, "retry-after"), self.clock.now())
                    if wait is not None:
                        asked.append(wait)
            if unauthorized:
                if refreshed:
                    raise Unauthorized("Microsoft refused the access token after a refresh "
                                       "(POST /v1.0/$batch)", status=401)
                await self._tokens.refresh(used)
                refreshed = True
            if again and not await rounds.again(max(asked) if asked else None):
                again = []
            pending = sorted(unauthorized + again)
        return answers

    async def _send_batch(self, calls: Sequence[BatchCall]) -> list[BatchAnswer]:
        requests = []
        for index, call in enumerate(calls):
            item: dict[str, Any] = {"id": str(index), "method": call.method, "url": call.url,
                                    "headers": {"Prefer": IMMUTABLE_IDS}}
            if call.body is not None:
                item["body"] = dict(call.body)
                item["headers"]["Content-Type"] = "application/json"
            requests.append(item)
        response = await self.request_url(
            "POST", self.url(API_PATH + "/$batch"), body={"requests": requests},
            slots=len(calls),
            # Every request inside counts against the mailbox's budget, at every attempt:
            # taken at once, so concurrent batches never each hold part of a window.
            weight=len(calls),
        )
        return _batch_answers(response, len(calls))

    # Calls -----------------------------------------------------------------------------

    async def me(self) -> dict[str, Any]:
        return _object(await self.request("GET", "/me"))

    async def calendars(self) -> list[dict[str, Any]]:
        """Every calendar of the mailbox, all pages."""
        items: list[dict[str, Any]] = []
        url: str | None = self.url(API_PATH + "/me/calendars?$top=100")
        while url:
            data = _object(await self.request_url("GET", url))
            items.extend(_items(data))
            url = _text(data.get("@odata.nextLink"))
        return items

    async def delta(self, start_url: str) -> AsyncIterator[DeltaPage]:
        """A delta round from ``start_url`` (a window's first URL, or a saved delta link),
        page by page."""
        url: str | None = start_url
        while url:
            data = _object(await self.request_url("GET", url, prefer=DELTA_PAGE))
            url = _text(data.get("@odata.nextLink"))
            yield DeltaPage(_items(data), None if url else _text(data.get("@odata.deltaLink")))

    def delta_start(self, calendar_id: str, start: datetime, end: datetime) -> str:
        window = (f"?startDateTime={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                  f"&endDateTime={end.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        return self.url(API_PATH + calendar_path(calendar_id, "/calendarView/delta") + window)

    async def create_subscription(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = _object(await self.request(
            "POST", "/subscriptions", body=dict(body), idempotent=False))
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise GraphError("Microsoft answered a subscription without an id")
        return data

    async def renew_subscription(self, subscription_id: str, expires: str) -> dict[str, Any]:
        return _object(await self.request(
            "PATCH", f"/subscriptions/{quote(subscription_id, safe='')}",
            body={"expirationDateTime": expires}))

    async def delete_subscription(self, subscription_id: str) -> None:
        await self.request("DELETE", f"/subscriptions/{quote(subscription_id, safe='')}")


def _header(answer: BatchAnswer, name: str) -> str | None:
    for key, value in answer.headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _items(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = data.get("value")
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(response: httpx.Response) -> dict[str, Any]:
    """A Graph answer's JSON object; anything else is Graph's failure, typed."""
    try:
        data = response.json()
    except ValueError as exc:
        raise GraphError(f"Microsoft answered no JSON ({response.request.method} "
                         f"{response.request.url.path})") from exc
    if not isinstance(data, dict):
        raise GraphError(f"Microsoft answered no JSON object ({response.request.method} "
                         f"{response.request.url.path})")
    return data


def _batch_answers(response: httpx.Response, count: int) -> list[BatchAnswer]:
    data = _object(response)
    found: dict[int, BatchAnswer] = {}
    responses = data.get("responses")
    for item in responses if isinstance(responses, list) else []:
        if not isinstance(item, dict) or not str(item.get("id", "")).isdigit():
            continue
        headers = item.get("headers") if isinstance(item.get("headers"), dict) else {}
        status = item.get("status")
        found[int(item["id"])] = BatchAnswer(
            status if isinstance(status, int) else 0, item.get("body"), headers or {}
        )
    missing = [i for i in range(count) if i not in found]
    if missing:
        raise GraphError(f"the $batch answer misses {len(missing)} of {count} requests")
    return [found[i] for i in range(count)]


def answer_error(answer: BatchAnswer, where: str) -> GraphError:
    """The typed error of a failed answer inside a batch."""
    return error_for(answer.status, answer.content(), where)


def _expiring(tokens: CalendarTokens, now: datetime) -> bool:
    return tokens.expires_at is not None and (
        tokens.expires_at - now).total_seconds() <= EXPIRY_MARGIN_SECONDS
