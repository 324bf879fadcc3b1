"""Reads by calendarView/delta: everything first, then only changes (moves, deletions),
an expired delta link → a full read, the agent's own events ignored, an event created
and deleted between two reads still reported deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from microsoft_backend.ms_backend_support import event_id, routes, stored, upsert
from zdcal.calendars.base import ManagedEvent
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.store import Agent

pytestmark = pytest.mark.anyio
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


async def _read(backend: MicrosoftBackend, agent: Agent, *, since: datetime | None = SINCE,
                recorded: list[tuple[str, str]] | None = None
                ) -> tuple[list[ManagedEvent], str | None]:
    assert agent.calendar_id is not None
    calendar = backend.for_agent(agent)
    events = [e async for e in calendar.managed_events(
        [agent.calendar_id], last_modified=since, recorded=recorded or [])]
    return events, calendar.read_state()


async def test_a_full_read_then_only_changes(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    cal = linked.calendar_id
    actions = [upsert(t, cal) for t in (1, 2, 3)]
    known = stored(actions, await backend.for_agent(linked).apply(actions))
    mine = await sim.post(f"/v1.0/me/calendars/{cal}/events", headers={
        "Authorization": f"Bearer {linked.tokens.access_token}"  # type: ignore[union-attr]
    }, json={"subject": "Lunch", "start": {"dateTime": "2026-03-08T12:00:00", "timeZone": "UTC"},
             "end": {"dateTime": "2026-03-08T13:00:00", "timeZone": "UTC"}})
    assert mine.status_code == 201, mine.text

    first, state = await _read(backend, linked)
    assert sorted(e.event_id for e in first) == [event_id(1), event_id(2), event_id(3)]
    assert all(e.start == "2026-03-08" and e.end == "2026-03-09" for e in first)
    assert all(e.stored_as is not None and e.stored_as.href == known[(cal, e.event_id)].href
               for e in first)
    assert state is not None

    linked = replace(linked, read_state=state)
    nothing, same = await _read(backend, linked)
    assert nothing == []

    two = known[(cal, event_id(2))].href
    three = known[(cal, event_id(3))].href
    moved = await sim.patch(f"/_sandbox/events/{two}", json={
        "start": {"dateTime": "2026-03-12T09:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-12T09:30:00", "timeZone": "UTC"}, "isAllDay": False})
    assert moved.status_code == 200, moved.text
    assert (await sim.delete(f"/_sandbox/events/{three}")).status_code == 204

    changes, _ = await _read(backend, replace(linked, read_state=same))
    by_id = {e.event_id: e for e in changes}
    assert set(by_id) == {event_id(2), event_id(3)}
    assert (by_id[event_id(2)].start, by_id[event_id(2)].end) == (
        "2026-03-12T09:00:00Z", "2026-03-12T09:30:00Z")
    assert not by_id[event_id(2)].deleted
    assert by_id[event_id(3)].deleted


async def test_an_expired_delta_link_means_a_full_read(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    await backend.for_agent(linked).apply([upsert(5, linked.calendar_id)])
    _, state = await _read(backend, linked)
    assert (await sim.post("/_sandbox/delta-tokens/expire")).status_code == 200

    again, fresh = await _read(backend, replace(linked, read_state=state))

    assert [e.event_id for e in again] == [event_id(5)]
    assert fresh is not None
    assert fresh != state


async def test_an_unreadable_state_and_a_verify_read_everything(
    backend: MicrosoftBackend, linked: Agent
) -> None:
    assert linked.calendar_id is not None
    await backend.for_agent(linked).apply([upsert(6, linked.calendar_id)])
    _, state = await _read(backend, linked)

    garbled, _ = await _read(backend, replace(linked, read_state="{not json"))
    verify, _ = await _read(backend, replace(linked, read_state=state), since=None)

    assert [e.event_id for e in garbled] == [event_id(6)]
    assert [e.event_id for e in verify] == [event_id(6)]


async def test_an_event_created_and_deleted_between_reads_is_reported_deleted(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    cal = linked.calendar_id
    await backend.for_agent(linked).apply([upsert(8, cal)])
    _, state = await _read(backend, linked)
    later = [upsert(9, cal)]
    known = stored(later, await backend.for_agent(linked).apply(later))
    assert (await sim.delete(f"/_sandbox/events/{known[(cal, event_id(9))].href}")
            ).status_code == 204

    changes, _ = await _read(backend, replace(linked, read_state=state),
                             recorded=[(cal, event_id(8)), (cal, event_id(9))])

    assert [(e.event_id, e.deleted) for e in changes] == [(event_id(9), True)]


async def test_a_full_read_asks_for_large_pages(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    await backend.for_agent(linked).apply([upsert(t, linked.calendar_id) for t in range(30)])
    await sim.post("/_sandbox/stats/reset")

    events, _ = await _read(backend, linked)

    assert len(events) == 30
    delta = {k: v for k, v in (await routes(sim)).items() if "delta" in k}
    assert sum(delta.values()) == 1, delta  # one page of up to 100, not three of 10


async def test_a_move_out_of_the_window_is_a_move_not_a_delete(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    """Graph reports an event moved beyond the delta window as removed, like a deleted
    one: zdcal reads it again by id and sees the move, to any date, and still sees a
    later move or delete out there."""
    assert linked.calendar_id is not None
    cal = linked.calendar_id
    actions = [upsert(t, cal) for t in (11, 12, 13)]
    known = stored(actions, await backend.for_agent(linked).apply(actions))
    _, state = await _read(backend, linked)
    far, past, gone = (known[(cal, event_id(t))].href for t in (11, 12, 13))

    async def move(href: str | None, day: str) -> None:
        answer = await sim.patch(f"/_sandbox/events/{href}", json={
            "start": {"dateTime": f"{day}T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{day}T09:30:00", "timeZone": "UTC"}, "isAllDay": False})
        assert answer.status_code == 200, answer.text

    await move(far, "2031-05-06")  # 4+ years ahead: beyond the window
    await move(past, "2019-02-03")  # years back: before it
    assert (await sim.delete(f"/_sandbox/events/{gone}")).status_code == 204

    changes, state = await _read(backend, replace(linked, read_state=state))
    by_id = {e.event_id: e for e in changes}
    assert set(by_id) == {event_id(11), event_id(12), event_id(13)}
    eleven, twelve = by_id[event_id(11)], by_id[event_id(12)]
    assert (eleven.start, eleven.deleted) == ("2031-05-06T09:00:00Z", False)
    assert eleven.stored_as is not None
    assert eleven.stored_as.href == far
    assert (twelve.start, twelve.deleted) == ("2019-02-03T09:00:00Z", False)
    assert by_id[event_id(13)].deleted

    await move(far, "2032-01-02")  # moved again, still outside
    assert (await sim.delete(f"/_sandbox/events/{past}")).status_code == 204
    again, _ = await _read(backend, replace(linked, read_state=state))
    assert sorted((e.event_id, e.start, e.deleted) for e in again) == [
        (event_id(11), "2032-01-02T09:00:00Z", False), (event_id(12), "", True)]


async def test_an_event_outside_the_window_at_a_full_read_has_its_next_move_seen(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    cal = linked.calendar_id
    actions = [upsert(14, cal)]
    known = stored(actions, await backend.for_agent(linked).apply(actions))
    href = known[(cal, event_id(14))].href
    recorded = [(cal, event_id(14))]

    async def move(day: str) -> None:
        answer = await sim.patch(f"/_sandbox/events/{href}", json={
            "start": {"dateTime": f"{day}T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{day}T09:30:00", "timeZone": "UTC"}, "isAllDay": False})
        assert answer.status_code == 200, answer.text

    await move("2031-05-06")  # before the first (full) read: it cannot show the event
    first, state = await _read(backend, linked, recorded=recorded)
    assert first == []  # not shown, but found by its property: not deleted
    await move("2032-01-02")
    later, _ = await _read(backend, replace(linked, read_state=state), recorded=recorded)
    assert [(e.start, e.deleted) for e in later] == [("2032-01-02T09:00:00Z", False)]
