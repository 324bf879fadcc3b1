"""CalDAV as a calendar backend: domain actions in, one conditional request per write out.

* An upsert PUTs the task's object (:mod:`.ical`) at ``<calendar>/<event id>.ics``:
  ``If-None-Match: *`` when zdcal holds no ETag for it, ``If-Match`` with the stored one
  otherwise. A refusal of that condition (:class:`ObjectChanged`) means the object
  changed since: it is read again and decided by the two-way rules
  (:mod:`zdcal.domain.calendar_changes`), on the event's times:

  - times as zdcal recorded them (a title edited in the calendar, or our own write
    whose answer was lost): overwrite that version;
  - moved or deleted by the agent, while this write keeps the times (Zendesk changed
    something else): the agent's change is for the planner, which the next poll feeds;
    the write waits for it (``RETRY``);
  - moved or deleted, while this write changes the times (Zendesk changed the due date
    or the rules): Zendesk wins, as it does with Cronofy's upserts, and a deleted event
    comes back because its task changed: overwrite (or create).
* A delete is unconditional (404 is fine): the rules decided the event goes.
* Changes are read by polling (:meth:`CalDAVClient.poll`: ``sync-collection``, else
  CTag + ETags), one request for a calendar with nothing changed; what changed among
  zdcal's objects is read in one ``calendar-multiget``. Where the poll stopped is the
  agent's read state (JSON, per calendar), stored by the caller once the changes were
  acted on.

Every CalDAV failure is mapped here, once, to the neutral ones of
:mod:`zdcal.calendars.base`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarInfo,
    CalendarRejected,
    CalendarUnavailable,
    EventObject,
    FailureKind,
    ManagedEvent,
    WriteOutcome,
    WriteStatus,
)
from zdcal.calendars.caldav.client import (
    CalDAVClient,
    CalendarObject,
    CollectionState,
    SyncMethod,
)
from zdcal.calendars.caldav.errors import (
    AuthenticationFailed,
    CalDAVError,
    CalendarGone,
    NotCalDAV,
    ObjectChanged,
    Rejected,
    TLSFailure,
)
from zdcal.calendars.caldav.ical import NotATaskObject, read_task_times, task_ics
from zdcal.clock import Clock
from zdcal.domain import Action, Delete, DesiredEntry
from zdcal.domain.account import EVENT_ID_PREFIX
from zdcal.domain.event_time import parse_event_time

WRITE_CONCURRENCY = 1
"""Writes in flight at once to one agent's calendar (CalDAV has no batch request). One:
servers may lock a collection while writing to it (Xandikos answers a concurrent PUT
``423 Locked``); agents' calendars are still written concurrently."""

_DONE = WriteOutcome(WriteStatus.DONE)
_OURS = f"{EVENT_ID_PREFIX}-"


def event_id_of(href: str) -> str | None:
    """The event id an object URL names, if it is one of zdcal's (``<id>.ics``)."""
    name = unquote(urlsplit(href).path.rstrip("/").rpartition("/")[2])
    if not name.endswith(".ics") or not name.startswith(_OURS):
        return None
    return name.removesuffix(".ics")


class CalDAVAgentCalendar:
    """One agent's CalDAV account, speaking the :class:`AgentCalendar` protocol."""

    def __init__(
        self,
        client: CalDAVClient,
        calendar_home_url: str,
        *,
        clock: Clock,
        time_zone: str,
        read_state: str | None,
        username: str = "",
    ) -> None:
        self._client = client
        self._home = calendar_home_url
        self._clock = clock
        self._zone: tzinfo = ZoneInfo(time_zone)
        self._username = username
        self._states = _read_states(read_state)
        self._polled = False

    async def calendars(self) -> list[CalendarInfo]:
        try:
            found = await self._client.calendars(self._home)
        except CalDAVError as exc:
            raise connection_error(exc) from exc
        return [
            CalendarInfo(
                calendar_id=c.url,
                name=c.name,
                # Only writable calendars that take events are offered (a tasks-only
                # collection is writable but refuses a VEVENT).
                writable=c.usable,
                primary=False,
                provider="CalDAV",
                profile=self._username,
            )
            for c in found
        ]

    async def apply(
        self,
        actions: Sequence[Action],
        stored: Mapping[tuple[str, str], EventObject] | None = None,
    ) -> list[WriteOutcome]:
        known = stored or {}
        # One at a time (WRITE_CONCURRENCY): other agents' calendars are written meanwhile.
        return [
            await self._apply_one(a, known.get((a.entry.calendar_id, a.entry.event_id)))
            for a in actions
        ]

    async def _apply_one(self, action: Action, stored: EventObject | None) -> WriteOutcome:
        entry = action.entry
        url = stored.href if stored else self._client.object_url(entry.calendar_id, entry.event_id)
        try:
            if isinstance(action, Delete):
                await self._client.delete(url)
                return _DONE
            data = task_ics(action.entry.body, stamp=self._clock.now())
            try:
                if stored is not None and stored.etag is not None:
                    etag = await self._client.update(url, data, stored.etag)
                else:
                    etag = await self._client.create(url, data)
            except ObjectChanged:
                return await self._write_changed(url, data, stored, action.entry)
            return WriteOutcome(WriteStatus.DONE, stored_as=EventObject(url, etag))
        except CalendarGone:
            if isinstance(action, Delete):
                return _DONE  # nothing of ours can remain in a calendar that is gone
            return WriteOutcome(WriteStatus.REJECTED, "the chosen calendar no longer exists",
                                FailureKind.CALENDAR_GONE)
        except Rejected as exc:
            return WriteOutcome(WriteStatus.REJECTED, _rejection(exc), FailureKind.REJECTED)
        except CalDAVError as exc:
            error = connection_error(exc)
            if isinstance(error, CalendarAuthorizationLost):
                raise error from exc
            return WriteOutcome(WriteStatus.RETRY, str(exc), FailureKind.UNAVAILABLE)

    async def _write_changed(
        self, url: str, data: bytes, stored: EventObject | None, entry: DesiredEntry
    ) -> WriteOutcome:
        """The object changed since zdcal last wrote or read it: read it and decide by
        the rules in the module's docstring."""
        current = await self._client.get(url)
        redated = stored is not None and not _same_span(
            (entry.event_start, entry.event_end), (stored.start, stored.end)
        )
        if current is None:
            if stored is None or redated:
                etag = await self._client.create(url, data)
                return WriteOutcome(WriteStatus.DONE, stored_as=EventObject(url, etag))
            return _changed_in_calendar("deleted")
        if stored is not None and not redated and not _same_times(current, stored, self._zone):
            return _changed_in_calendar("moved")
        if current.etag is None:
            return _changed_in_calendar("changed")
        # Times as recorded, Zendesk's new times, or no record to compare with (a write
        # whose answer was lost): the object is zdcal's to write, over the version read.
        etag = await self._client.update(url, data, current.etag)
        return WriteOutcome(WriteStatus.DONE, stored_as=EventObject(url, etag))

    async def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
        recorded: Collection[tuple[str, str]] = (),
    ) -> AsyncIterator[ManagedEvent]:
        try:
            for calendar_url in calendar_ids:
                if last_modified is None:
                    members = await self._client.etags(calendar_url)
                    changed: dict[str, str | None] = dict(members)
                    deleted: set[str] = set()
                else:
                    changed, deleted = await self._poll(
                        calendar_url, {e for c, e in recorded if c == calendar_url}
                    )
                ours = [url for url in changed if event_id_of(url) is not None]
                for found in await self._client.multiget(calendar_url, ours):
                    event = self._event(calendar_url, found)
                    if event is not None:
                        yield event
                for url in sorted(deleted):
                    event_id = event_id_of(url)
                    if event_id is not None:
                        yield ManagedEvent(calendar_url, event_id, "", "", True, None,
                                           EventObject(url, None))
        except CalDAVError as exc:
            raise connection_error(exc) from exc

    async def _poll(
        self, calendar_url: str, recorded: set[str]
    ) -> tuple[dict[str, str | None], set[str]]:
        """What changed since the stored state: changed members (URL → ETag) and the
        URLs of deleted ones, recorded events that vanished unmentioned included.

        A server may leave out of its change feed an object created and deleted between
        two polls (RFC 6578 allows it; Xandikos' token even comes back unchanged, its
        collection being as it was). So the state also keeps which of zdcal's objects
        were there: any member created since would be in the feed, so a recorded event
        neither there at the last poll nor in the feed now is gone. No extra request."""
        state = self._states.get(calendar_url) or _State(
            CollectionState(SyncMethod.SYNC_COLLECTION), frozenset()
        )
        changes = await self._client.poll(calendar_url, state.collection)
        self._polled = True
        changed, deleted = dict(changes.changed), set(changes.deleted)
        was_there = set() if changes.complete else set(state.ours)
        mentioned = {event_id_of(url) for url in (*changed, *deleted)}
        vanished = recorded - was_there - mentioned
        deleted |= {self._client.object_url(calendar_url, e) for e in vanished}
        gone = {event_id_of(url) for url in deleted}
        ours = {e for e in (was_there | mentioned) - gone if e is not None}
        self._states[calendar_url] = _State(changes.state, frozenset(ours))
        return changed, deleted

    def read_state(self) -> str | None:
        if not self._polled:
            return None
        return json.dumps(
            {url: _state_json(state) for url, state in sorted(self._states.items())},
            sort_keys=True,
        )

    def _event(self, calendar_url: str, found: CalendarObject) -> ManagedEvent | None:
        event_id = event_id_of(found.url)
        if event_id is None:
            return None
        try:
            times = read_task_times(found.data, floating_zone=self._zone)
        except NotATaskObject:
            return None  # someone replaced the object with something unreadable
        start, end = times.as_text()
        return ManagedEvent(calendar_url, event_id, start, end, False, None,
                            EventObject(found.url, found.etag))


def _same_span(new: tuple[str, str], recorded: tuple[str | None, str | None]) -> bool:
    start, end = recorded
    if start is None or end is None:
        return True  # nothing recorded to compare with
    return (parse_event_time(new[0]), parse_event_time(new[1])) == (
        parse_event_time(start), parse_event_time(end)
    )


def _same_times(current: CalendarObject, stored: EventObject, zone: tzinfo) -> bool:
    if stored.start is None or stored.end is None:
        return True  # nothing recorded to compare with
    try:
        times = read_task_times(current.data, floating_zone=zone)
    except NotATaskObject:
        return False
    return (times.start, times.end) == (
        parse_event_time(stored.start), parse_event_time(stored.end)
    )


def _changed_in_calendar(how: str) -> WriteOutcome:
    return WriteOutcome(
        WriteStatus.RETRY,
        f"the event was {how} in the calendar meanwhile: zdcal reads that change first",
        FailureKind.UNKNOWN,
    )


def _rejection(exc: Rejected) -> str:
    return f"the calendar refused the event ({exc.reason or exc.status or 'rejected'})"


@dataclass(frozen=True)
class _State:
    """Where the poll of one calendar stopped, and which of zdcal's objects were there."""

    collection: CollectionState
    ours: frozenset[str]


def _state_json(state: _State) -> dict[str, Any]:
    collection = state.collection
    return {
        "method": collection.method.value, "token": collection.token,
        "etags": dict(collection.etags), "ours": sorted(state.ours),
    }


def _read_states(text: str | None) -> dict[str, _State]:
    """The stored read state; an unreadable one counts as never polled (a full read)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
        return {
            url: _State(
                CollectionState(
                    SyncMethod(item["method"]), item.get("token"), dict(item.get("etags") or {})
                ),
                frozenset(item.get("ours") or ()),
            )
            for url, item in data.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def connection_error(exc: CalDAVError) -> Exception:
    """Map a whole-request failure to what the engine acts on."""
    if isinstance(exc, AuthenticationFailed):
        return CalendarAuthorizationLost(str(exc))
    if isinstance(exc, NotCalDAV | TLSFailure):
        return CalendarRejected(str(exc))
    if isinstance(exc, CalendarGone):
        return CalendarUnavailable(f"the calendar is gone: {exc}")
    return CalendarUnavailable(str(exc))
