"""Google Calendar as a calendar backend: domain actions in, batch requests out; changes
read back by sync token.

* An upsert inserts the event under our own id (:mod:`.event_ids`); 409 (the id exists,
  perhaps as an event the agent deleted) → an update (PUT, the whole event, ``status:
  confirmed``: a deleted one comes back, Zendesk wins). A crash between a write and its
  record therefore leaves no duplicate: the same id meets 409 and is updated.
* A delete is done when Google answers 204, 404 (never there) or 410 (already deleted).
* Several actions go in Google's batch requests of :data:`BATCH_SIZE` calls; each call
  has its own outcome: 404 → the calendar is gone, 400 → refused with Google's message,
  403 ``forbidden`` → the calendar is no longer writable for the agent (the calendar
  is gone for zdcal: the agent picks another), 429/403 rate limits and 5xx → retried
  under the retry policy, then ``RETRY``. A 403 for a missing scope or a 401 after a
  refresh concern the whole account: exceptions (reconnect).
* Reads list a calendar's events with ``showDeleted`` (a deleted event comes back as
  ``cancelled`` with hardly any field: recognised by its id) and keep the last page's
  ``nextSyncToken`` per calendar as the agent's read state; the next read with changes
  asked for (``last_modified``) sends it and gets only what changed. No state, a read
  of everything (verify) or ``410`` (the token expired) → the whole list again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from zdcal.calendars.base import (
    CalendarAuthorizationExpired,
    CalendarAuthorizationLost,
    CalendarInfo,
    CalendarRateLimited,
    CalendarRejected,
    CalendarUnavailable,
    EventObject,
    FailureKind,
    ManagedEvent,
    WriteOutcome,
    WriteStatus,
)
from zdcal.calendars.google.batch import BatchAnswer, BatchCall
from zdcal.calendars.google.client import GoogleClient, events_path
from zdcal.calendars.google.errors import (
    Forbidden,
    Gone,
    GoogleError,
    Invalid,
    RateLimited,
    TokenRefreshFailed,
    Unauthorized,
    error_body,
    is_rate_limited,
)
from zdcal.calendars.google.event_ids import google_event_id, zdcal_event_id
from zdcal.calendars.google.event_shape import google_event, time_text
from zdcal.domain import Action, Delete, Upsert

BATCH_SIZE = 50
"""Calls per batch request. Google takes up to 1000, but every call counts against the
per-user quota (600 a minute) and Google's guide advises small batches against rate
limiting; 50 keeps one agent's batch well inside a minute's quota (with a second round
of updates after 409s, still under a sixth of it), keeps a batch retried after a
slow-down small, and matches Cronofy's batches, so the engine's chunks fill both."""

WRITABLE_ROLES = ("writer", "owner")
_DONE = WriteOutcome(WriteStatus.DONE)


class GoogleAgentCalendar:
    """One agent's Google account, speaking the :class:`AgentCalendar` protocol."""

    def __init__(self, client: GoogleClient, *, read_state: str | None) -> None:
        self._client = client
        self._states = _read_states(read_state)
        self._have_read = False

    async def calendars(self) -> list[CalendarInfo]:
        try:
            entries = await self._client.calendar_list()
        except GoogleError as exc:
            raise connection_error(exc) from exc
        return calendar_infos(entries)

    async def apply(
        self,
        actions: Sequence[Action],
        stored: Mapping[tuple[str, str], EventObject] | None = None,
    ) -> list[WriteOutcome]:
        # Google keeps events by our own id: nothing stored is needed.
        outcomes: list[WriteOutcome] = []
        for start in range(0, len(actions), BATCH_SIZE):
            outcomes.extend(await self._apply_chunk(actions[start : start + BATCH_SIZE]))
        return outcomes

    async def _apply_chunk(self, actions: Sequence[Action]) -> list[WriteOutcome]:
        try:
            answers = await self._client.batch([_first_call(a) for a in actions])
            existing = [
                i for i, (a, answer) in enumerate(zip(actions, answers, strict=True))
                if isinstance(a, Upsert) and answer.status == 409
            ]
            if existing:
                updated = await self._client.batch([_update_call(actions[i]) for i in existing])
                for i, answer in zip(existing, updated, strict=True):
                    answers[i] = answer
        except GoogleError as exc:
            raise connection_error(exc) from exc
        return [_outcome(a, answer) for a, answer in zip(actions, answers, strict=True)]

    async def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
        recorded: Collection[tuple[str, str]] = (),  # Google lists deletions itself
    ) -> AsyncIterator[ManagedEvent]:
        try:
            for calendar_id in calendar_ids:
                token = self._states.get(calendar_id) if last_modified is not None else None
                try:
                    async for event in self._read(calendar_id, token):
                        yield event
                except Gone:
                    if token is None:
                        raise
                    # The sync token expired: read everything again, keep the new token.
                    async for event in self._read(calendar_id, None):
                        yield event
        except GoogleError as exc:
            raise connection_error(exc) from exc

    async def _read(self, calendar_id: str, token: str | None) -> AsyncIterator[ManagedEvent]:
        async for page in self._client.list_events(calendar_id, sync_token=token):
            for item in page.items:
                event = managed_event(calendar_id, item)
                if event is not None:
                    yield event
            if page.next_sync_token:
                self._states[calendar_id] = page.next_sync_token
                self._have_read = True

    def read_state(self) -> str | None:
        if not self._have_read:
            return None
        return json.dumps(self._states, sort_keys=True)


def calendar_infos(entries: Sequence[Mapping[str, Any]]) -> list[CalendarInfo]:
    """The account's calendars from its calendar list (the primary one's id is the
    account's email)."""
    profile = next((str(e.get("id")) for e in entries if e.get("primary")), "")
    return [
        CalendarInfo(
            calendar_id=str(e["id"]),
            name=str(e.get("summaryOverride") or e.get("summary") or e["id"]),
            writable=e.get("accessRole") in WRITABLE_ROLES and not e.get("deleted"),
            primary=bool(e.get("primary")),
            provider="Google",
            profile=profile,
        )
        for e in entries
        if e.get("id")
    ]


def managed_event(calendar_id: str, item: Mapping[str, Any]) -> ManagedEvent | None:
    """One listed event as zdcal's, or None when zdcal did not write it."""
    event_id = zdcal_event_id(str(item.get("id", "")))
    if event_id is None:
        return None
    deleted = item.get("status") == "cancelled"
    return ManagedEvent(
        calendar_id=calendar_id,
        event_id=event_id,
        start="" if deleted else time_text(item.get("start")),
        end="" if deleted else time_text(item.get("end")),
        deleted=deleted,
        updated=_instant(item.get("updated")),
    )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


_NO_MAIL = "?sendUpdates=none"
"""No invitations or update mails: the events have no guests, and zdcal's writes are
the agent's own bookkeeping."""


def _first_call(action: Action) -> BatchCall:
    if isinstance(action, Upsert):
        return BatchCall("POST", events_path(action.entry.calendar_id, _NO_MAIL),
                         google_event(action.entry.body))
    entry = action.entry
    return BatchCall(
        "DELETE", events_path(entry.calendar_id, f"/{google_event_id(entry.event_id)}{_NO_MAIL}")
    )


def _update_call(action: Action) -> BatchCall:
    assert isinstance(action, Upsert)
    entry = action.entry
    return BatchCall(
        "PUT", events_path(entry.calendar_id, f"/{google_event_id(entry.event_id)}{_NO_MAIL}"),
        google_event(entry.body),
    )


def _outcome(action: Action, answer: BatchAnswer) -> WriteOutcome:
    if answer.ok:
        return _DONE
    reason, message = error_body(answer.content)
    status = answer.status
    if isinstance(action, Delete) and status in (404, 410):
        return _DONE  # never there, or already deleted
    if status == 404:
        return WriteOutcome(WriteStatus.REJECTED, "the chosen calendar no longer exists",
                            FailureKind.CALENDAR_GONE)
    if status == 403 and reason == "insufficientPermissions":
        raise CalendarAuthorizationLost(
            "Google refused: the authorization lacks the calendar events scope"
        )
    if status == 403 and not is_rate_limited(status, reason):
        return WriteOutcome(
            WriteStatus.REJECTED,
            "the chosen calendar is no longer writable for this account",
            FailureKind.CALENDAR_GONE,
        )
    if status == 401:
        raise CalendarAuthorizationLost("Google refused the access token")
    if status == 400:
        return WriteOutcome(WriteStatus.REJECTED,
                            f"Google refused the event: {message or reason or 'invalid'}",
                            FailureKind.REJECTED)
    return WriteOutcome(WriteStatus.RETRY,
                        f"Google answered {status}{f' {reason}' if reason else ''}",
                        FailureKind.UNAVAILABLE)


def _read_states(text: str | None) -> dict[str, str]:
    """The stored sync tokens by calendar; an unreadable state counts as none (a full
    read, then a fresh token)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def connection_error(exc: GoogleError) -> Exception:
    """Map a whole-request failure to what the engine acts on."""
    if isinstance(exc, TokenRefreshFailed):
        return CalendarAuthorizationExpired(str(exc))
    if isinstance(exc, Unauthorized | Forbidden):
        return CalendarAuthorizationLost(str(exc))
    if isinstance(exc, RateLimited):
        return CalendarRateLimited(str(exc))
    if isinstance(exc, Invalid):
        return CalendarRejected(str(exc), reason=exc.detail)
    return CalendarUnavailable(str(exc))
