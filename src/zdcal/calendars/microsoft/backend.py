"""Microsoft 365 (Outlook through Graph) as a calendar backend: domain actions in,
``$batch`` requests out; changes read back by ``calendarView/delta``.

Graph names events itself (``EventIds.SERVER``). The id Graph gave each event is what
its upsert's outcome says (``stored_as``: href = Graph's id, etag = its ``changeKey``);
sync records it with the entry and gives it back (``stored``) for the next write.

* Upsert with a known id: PATCH it. 404 (the agent deleted it, or an id that never
  made it into the record) → find, then create.
* Upsert without one: FIND zdcal's event by its extended property (``$filter``): a crash
  between a create and its record left an event behind, which is then PATCHed, never
  duplicated; none → create (POST with a ``transactionId``, so Graph drops a repeat).
* Delete: DELETE the known id (404: done); without one, find it first (none: done).
* Several actions of one calendar without a known id (a first sync): one request first
  asks whether the calendar holds any event of zdcal's with their ids' common prefix.
  None (the usual answer then): no event of theirs can exist, so upserts are created
  straight away and deletes are done, without a find each: one request per event
  instead of two. Any other answer: the finds as above.
* Each step of every action of a chunk of :data:`BATCH_SIZE` goes in one ``$batch``;
  the next steps (after a 404, after a find) in the next one. Per-request answers: 2xx
  done; 404 for a find or a create → the calendar is gone; 403 → not writable (the
  calendar is gone for zdcal: the agent picks another); 400 → refused with Graph's
  message; 429/503/5xx → retried after their ``Retry-After`` under the retry policy,
  then ``RETRY``; 401 after a refresh → the whole account (reconnect).
* Reads: ``/me/calendars/{id}/calendarView/delta`` over a window of
  :data:`WINDOW_BACK` before and :data:`WINDOW_AHEAD` after the full read; zdcal's events
  are told by their ``transactionId``. The read state per calendar is the delta link
  and the Graph ids of zdcal's events seen (removed events come back as an id only).
  Graph reports an event moved out of the window as removed too: each removed event of
  zdcal's is read again by id (in ``$batch``es); found, it moved (any date); 404, gone.
  A removed id not seen before (an event created and deleted between two reads) has
  the recorded events not seen yet looked for by their property: those not found are
  reported deleted. No state, a read of everything (verify), or a delta link Graph no
  longer knows (410 / ``syncStateNotFound``) → a full read of a fresh window, after
  which the recorded events it did not show are looked for the same way (a first round
  has no tombstones: a deletion before it is known only by the event's absence).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

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
from zdcal.calendars.microsoft.client import (
    BATCH_MAX,
    BatchAnswer,
    BatchCall,
    GraphClient,
    answer_error,
    any_query,
    calendar_path,
    event_path,
    find_query,
)
from zdcal.calendars.microsoft.errors import (
    Forbidden,
    GraphError,
    Invalid,
    RateLimited,
    ResyncRequired,
    TokenRefreshFailed,
    Unauthorized,
)
from zdcal.calendars.microsoft.event_shape import (
    created_event,
    event_id_of,
    graph_event,
    time_text,
)
from zdcal.domain import Action, Delete, Upsert

BATCH_SIZE = BATCH_MAX
WINDOW_BACK = timedelta(days=365)
WINDOW_AHEAD = timedelta(days=730)
"""The delta window: tasks are due around now; a year back keeps recent history
readable, two years ahead covers every plausible due date."""
PROBE_FROM = 2
"""Actions without a known id in one calendar from which one request asking whether it
holds any of zdcal's events is cheaper than a find each (one find costs as much)."""
MAX_STEPS = 4
"""At most: PATCH (404) → find → create, or find → PATCH (404) → create."""


@dataclass
class _Step:
    """The next request of one action: ``patch``, ``find``, ``create`` or ``delete``."""

    kind: str
    graph_id: str | None = None
    found_once: bool = False


class MicrosoftAgentCalendar:
    """One agent's Microsoft 365 mailbox, speaking the :class:`AgentCalendar` protocol."""

    def __init__(self, client: GraphClient, *, read_state: str | None) -> None:
        self._client = client
        self._states = _read_states(read_state)
        self._have_read = False

    async def calendars(self) -> list[CalendarInfo]:
        try:
            entries = await self._client.calendars()
        except GraphError as exc:
            raise connection_error(exc) from exc
        return calendar_infos(entries, "")

    # Writing ---------------------------------------------------------------------------

    async def apply(
        self,
        actions: Sequence[Action],
        stored: Mapping[tuple[str, str], EventObject] | None = None,
    ) -> list[WriteOutcome]:
        known = stored or {}
        outcomes: list[WriteOutcome] = []
        try:
            empty = await self._without_ours(actions, known)
            for start in range(0, len(actions), BATCH_SIZE):
                chunk = actions[start : start + BATCH_SIZE]
                outcomes.extend(await self._apply_chunk(chunk, known, empty))
        except GraphError as exc:
            raise connection_error(exc) from exc
        return outcomes

    async def _without_ours(
        self, actions: Sequence[Action], known: Mapping[tuple[str, str], EventObject]
    ) -> set[str]:
        """The calendars where :data:`PROBE_FROM` or more actions have no known id and
        Graph finds none of zdcal's events starting with their common prefix. An answer
        other than an empty 2xx (an event found, an error) leaves the calendar out: its
        actions then find their events one by one, and meet the error there."""
        unknown: dict[str, list[str]] = {}
        for action in actions:
            entry = action.entry
            if (entry.calendar_id, entry.event_id) not in known:
                unknown.setdefault(entry.calendar_id, []).append(entry.event_id)
        probes = [(c, _common_prefix(ids)) for c, ids in unknown.items()
                  if len(ids) >= PROBE_FROM]
        probes = [(c, prefix) for c, prefix in probes if prefix]
        empty: set[str] = set()
        for start in range(0, len(probes), BATCH_SIZE):
            chunk = probes[start : start + BATCH_SIZE]
            answers = await self._client.batch(
                [BatchCall("GET", calendar_path(c, "/events") + any_query(prefix))
                 for c, prefix in chunk]
            )
            empty.update(c for (c, _), answer in zip(chunk, answers, strict=True)
                         if answer.ok and _found(answer) is None)
        return empty

    async def _apply_chunk(
        self, actions: Sequence[Action], known: Mapping[tuple[str, str], EventObject],
        empty: set[str],
    ) -> list[WriteOutcome]:
        steps: dict[int, _Step] = {}
        outcomes: dict[int, WriteOutcome] = {}
        for i, action in enumerate(actions):
            entry = action.entry
            href = known.get((entry.calendar_id, entry.event_id))
            none_there = href is None and entry.calendar_id in empty
            if isinstance(action, Upsert):
                steps[i] = (_Step("patch", href.href) if href
                            else _Step("create") if none_there else _Step("find"))
            elif none_there:
                outcomes[i] = _DONE  # nothing of zdcal's in that calendar to delete
            else:
                steps[i] = _Step("delete", href.href) if href else _Step("find")
        for _ in range(MAX_STEPS):
            if not steps:
                break
            order = sorted(steps)
            answers = await self._client.batch([_call(actions[i], steps[i]) for i in order])
            for i, answer in zip(order, answers, strict=True):
                step = steps.pop(i)
                result = _next(actions[i], step, answer)
                if isinstance(result, WriteOutcome):
                    outcomes[i] = result
                else:
                    steps[i] = result
        for i in steps:
            outcomes[i] = WriteOutcome(WriteStatus.RETRY, "Graph kept moving the event",
                                       FailureKind.UNAVAILABLE)
        return [outcomes[i] for i in range(len(actions))]

    # Reading ---------------------------------------------------------------------------

    async def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
        recorded: Collection[tuple[str, str]] = (),
    ) -> AsyncIterator[ManagedEvent]:
        try:
            for calendar_id in calendar_ids:
                state = self._states.get(calendar_id) if last_modified is not None else None
                async for event in self._read_calendar(calendar_id, state, recorded):
                    yield event
        except GraphError as exc:
            raise connection_error(exc) from exc

    async def _read_calendar(
        self, calendar_id: str, state: _CalendarState | None,
        recorded: Collection[tuple[str, str]],
    ) -> AsyncIterator[ManagedEvent]:
        if state is not None:
            try:
                fresh = _CalendarState("", dict(state.ids))
                async for event in self._delta(calendar_id, state.link, fresh):
                    yield event
                async for event in self._left_window(calendar_id, fresh):
                    yield event
                if fresh.unknown_removed:
                    async for event in self._vanished(calendar_id, fresh, recorded):
                        yield event
                self._keep(calendar_id, fresh)
                return
            except ResyncRequired:
                pass  # the delta link expired: read the whole window again
        now = self._client.clock.now()
        start = self._client.delta_start(calendar_id, now - WINDOW_BACK, now + WINDOW_AHEAD)
        fresh = _CalendarState("", {})
        async for event in self._delta(calendar_id, start, fresh):
            yield event
        async for event in self._left_window(calendar_id, fresh):
            yield event
        # A first round shows no tombstones: an event the agent deleted before it (or
        # while the link had expired) is only known by its absence, so recorded events it
        # did not show are looked up, and those not found are reported deleted.
        async for event in self._vanished(calendar_id, fresh, recorded):
            yield event
        self._keep(calendar_id, fresh)

    async def _delta(
        self, calendar_id: str, url: str, state: _CalendarState
    ) -> AsyncIterator[ManagedEvent]:
        async for page in self._client.delta(url):
            for item in page.items:
                event = _managed(calendar_id, item, state)
                if event is not None:
                    yield event
            if page.delta_link:
                state.link = page.delta_link

    async def _left_window(
        self, calendar_id: str, state: _CalendarState
    ) -> AsyncIterator[ManagedEvent]:
        """zdcal's events the delta reported removed, read again by id (in batches): Graph
        reports an event moved out of the window exactly as a deleted one, so an agent's
        move to any date (a Zendesk due date has no bound) would otherwise look like a
        delete. Found: its new time, and its id kept (a later change outside the window
        comes as removed again); 404: gone."""
        removed = sorted(state.removed.items())
        state.removed.clear()
        for start in range(0, len(removed), BATCH_SIZE):
            chunk = removed[start : start + BATCH_SIZE]
            answers = await self._client.batch(
                [BatchCall("GET", calendar_path(calendar_id, "/events/")
                           + quote(graph_id, safe="")) for graph_id, _ in chunk]
            )
            for (_, event_id), answer in zip(chunk, answers, strict=True):
                body = answer.body
                if answer.ok and isinstance(body, Mapping) and event_id_of(body) == event_id:
                    event = _managed(calendar_id, body, state)
                    if event is not None:
                        yield event
                        continue
                if answer.ok or answer.status == 404:
                    yield ManagedEvent(calendar_id, event_id, "", "", True, None)
                else:
                    raise answer_error(answer, "GET event")

    async def _vanished(
        self, calendar_id: str, state: _CalendarState, recorded: Collection[tuple[str, str]]
    ) -> AsyncIterator[ManagedEvent]:
        """Recorded events of the calendar the delta never showed: looked for by their
        property (in batches); those not found are gone. Those found lie outside the
        window: their ids are kept, so a later change of one (reported as a removal) is
        read again by id (:meth:`_left_window`)."""
        seen = set(state.ids.values())
        missing = sorted(e for c, e in recorded if c == calendar_id and e not in seen)
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start : start + BATCH_SIZE]
            answers = await self._client.batch(
                [BatchCall("GET", calendar_path(calendar_id, "/events") + find_query(e))
                 for e in chunk]
            )
            for event_id, answer in zip(chunk, answers, strict=True):
                if not answer.ok:
                    raise answer_error(answer, "GET find event")
                graph_id = _found(answer)
                if graph_id is None:
                    yield ManagedEvent(calendar_id, event_id, "", "", True, None)
                else:
                    state.ids[graph_id] = event_id

    def _keep(self, calendar_id: str, state: _CalendarState) -> None:
        if state.link:
            self._states[calendar_id] = state
            self._have_read = True

    def read_state(self) -> str | None:
        if not self._have_read:
            return None
        return json.dumps(
            {c: {"link": s.link, "ids": s.ids} for c, s in self._states.items()},
            sort_keys=True,
        )


@dataclass
class _CalendarState:
    link: str
    ids: dict[str, str]
    """Graph id → zdcal's event id, of zdcal's events the delta showed."""
    unknown_removed: bool = False
    removed: dict[str, str] = field(default_factory=dict)
    """Graph id → zdcal's event id, of this round's removed events of zdcal's: deleted,
    or moved out of the window (Graph does not say which)."""


def _managed(calendar_id: str, item: Mapping[str, Any], state: _CalendarState
             ) -> ManagedEvent | None:
    graph_id = str(item.get("id", ""))
    if "@removed" in item:
        event_id = state.ids.pop(graph_id, None)
        if event_id is None:
            state.unknown_removed = True
        else:
            state.removed[graph_id] = event_id  # deleted or moved away: read again by id
        return None
    event_id = event_id_of(item)
    if event_id is None or not graph_id:
        return None  # the agent's own event
    state.ids[graph_id] = event_id
    if item.get("isCancelled"):
        return ManagedEvent(calendar_id, event_id, "", "", True, None)
    all_day = bool(item.get("isAllDay"))
    start, end = time_text(item.get("start"), all_day), time_text(item.get("end"), all_day)
    change_key = item.get("changeKey")
    return ManagedEvent(
        calendar_id=calendar_id, event_id=event_id, start=start, end=end, deleted=False,
        updated=_instant(item.get("lastModifiedDateTime")),
        stored_as=EventObject(graph_id, change_key if isinstance(change_key, str) else None,
                              start, end),
    )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return None


def calendar_infos(entries: Sequence[Mapping[str, Any]], profile: str) -> list[CalendarInfo]:
    """The mailbox's calendars (the default one is the primary)."""
    if not profile:
        own = next((e for e in entries if e.get("isDefaultCalendar")), None)
        owner = own.get("owner") if own else None
        profile = str(owner.get("address") or "") if isinstance(owner, Mapping) else ""
    return [
        CalendarInfo(
            calendar_id=str(e["id"]),
            name=str(e.get("name") or e["id"]),
            writable=bool(e.get("canEdit")),
            primary=bool(e.get("isDefaultCalendar")),
            provider="Microsoft 365",
            profile=profile,
        )
        for e in entries
        if e.get("id")
    ]


# One action's steps -------------------------------------------------------------------


def _call(action: Action, step: _Step) -> BatchCall:
    entry = action.entry
    if step.kind == "find":
        return BatchCall("GET", calendar_path(entry.calendar_id, "/events")
                         + find_query(entry.event_id))
    if step.kind == "delete":
        assert step.graph_id is not None
        return BatchCall("DELETE", event_path(step.graph_id))
    assert isinstance(action, Upsert)
    body = action.entry.body
    if step.kind == "patch":
        assert step.graph_id is not None
        return BatchCall("PATCH", event_path(step.graph_id), graph_event(body))
    return BatchCall("POST", calendar_path(entry.calendar_id, "/events"), created_event(body))


def _next(action: Action, step: _Step, answer: BatchAnswer) -> WriteOutcome | _Step:
    """What an answer means for its action: its outcome, or the next step."""
    status = answer.status
    if step.kind == "find" and answer.ok:
        found = _found(answer)
        if isinstance(action, Delete):
            return _Step("delete", found) if found else _DONE
        return _Step("patch", found, found_once=True) if found else _Step("create")
    if answer.ok:
        if isinstance(action, Upsert):
            return WriteOutcome(WriteStatus.DONE, stored_as=_stored(answer))
        return _DONE
    if status == 404 and step.kind == "delete":
        return _DONE  # never there, or already deleted
    if status == 404 and step.kind == "patch":
        # Deleted in Outlook (Zendesk wins: it comes back) or never recorded right.
        return _Step("create") if step.found_once else _Step("find")
    return _failure(answer)


_DONE = WriteOutcome(WriteStatus.DONE)


def _common_prefix(texts: Sequence[str]) -> str:
    """The longest text every one of ``texts`` starts with (character by character)."""
    first, last = min(texts), max(texts)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


def _found(answer: BatchAnswer) -> str | None:
    body = answer.body if isinstance(answer.body, dict) else {}
    items = [i for i in body.get("value", []) if isinstance(i, dict) and i.get("id")]
    return str(items[0]["id"]) if items else None


def _stored(answer: BatchAnswer) -> EventObject | None:
    body = answer.body if isinstance(answer.body, dict) else {}
    graph_id = body.get("id")
    if not isinstance(graph_id, str) or not graph_id:
        return None
    change_key = body.get("changeKey")
    all_day = bool(body.get("isAllDay"))
    return EventObject(graph_id, change_key if isinstance(change_key, str) else None,
                       time_text(body.get("start"), all_day) or None,
                       time_text(body.get("end"), all_day) or None)


def _failure(answer: BatchAnswer) -> WriteOutcome:
    error = answer_error(answer, "$batch")
    status = answer.status
    if status == 401:
        raise CalendarAuthorizationLost("Microsoft refused the access token")
    if status == 404:
        return WriteOutcome(WriteStatus.REJECTED, "the chosen calendar no longer exists",
                            FailureKind.CALENDAR_GONE)
    if status == 403:
        return WriteOutcome(WriteStatus.REJECTED,
                            "the chosen calendar is no longer writable for this account",
                            FailureKind.CALENDAR_GONE)
    if status == 400:
        return WriteOutcome(WriteStatus.REJECTED,
                            f"Microsoft refused the event: {error.detail or error.code}",
                            FailureKind.REJECTED)
    return WriteOutcome(WriteStatus.RETRY, str(error), FailureKind.UNAVAILABLE)


def _read_states(text: str | None) -> dict[str, _CalendarState]:
    """The stored delta state by calendar; an unreadable one counts as none (a full
    read, then a fresh state)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    states: dict[str, _CalendarState] = {}
    for calendar_id, value in (data.items() if isinstance(data, dict) else ()):
        if not isinstance(value, dict) or not isinstance(value.get("link"), str):
            continue
        ids = value.get("ids")
        known = ids.items() if isinstance(ids, dict) else ()
        states[str(calendar_id)] = _CalendarState(
            value["link"], {str(k): v for k, v in known if isinstance(v, str)}
        )
    return states


def connection_error(exc: GraphError) -> Exception:
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
