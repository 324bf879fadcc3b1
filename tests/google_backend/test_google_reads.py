"""Reads: everything at first (or without a state), then only changes by sync token;
an expired token → everything again; deleted events recognised by their id alone;
events zdcal did not write ignored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from google_backend.google_backend_support import CALENDAR, event_id, upsert
from zdcal.calendars.base import ManagedEvent
from zdcal.calendars.google.backend import GoogleAgentCalendar
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.event_ids import google_event_id, zdcal_event_id
from zdcal.store import Agent

pytestmark = pytest.mark.anyio

SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # "read changes", not "read everything"


async def read(calendar: GoogleAgentCalendar, *, since: datetime | None = SINCE
               ) -> list[ManagedEvent]:
    return [e async for e in calendar.managed_events([CALENDAR], last_modified=since)]


def calendar_of(backend: GoogleBackend, agent: Agent) -> GoogleAgentCalendar:
    calendar = backend.for_agent(agent)
    assert isinstance(calendar, GoogleAgentCalendar)
    return calendar


async def test_a_first_read_lists_everything_then_keeps_the_sync_token(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = calendar_of(backend, linked)
    await calendar.apply([upsert(1), upsert(2, start="2026-03-08T14:00:00Z",
                                            end="2026-03-08T14:30:00Z")])
    assert calendar.read_state() is None  # nothing read yet

    events = await read(calendar)

    assert {(e.event_id, e.start, e.end, e.deleted) for e in events} == {
        (event_id(1), "2026-03-08", "2026-03-09", False),
        (event_id(2), "2026-03-08T14:00:00Z", "2026-03-08T14:30:00Z", False),
    }
    assert all(e.calendar_id == CALENDAR and e.updated is not None for e in events)
    state = calendar.read_state()
    assert state is not None
    assert set(json.loads(state)) == {CALENDAR}


async def test_the_next_read_gets_only_what_changed_deletions_by_id(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    writer = calendar_of(backend, linked)
    await writer.apply([upsert(1), upsert(2), upsert(3)])
    await read(writer)
    # The agent moves one event and deletes another in Google Calendar.
    path = f"/_sandbox/calendars/{CALENDAR}/events/"
    moved = await sim.patch(path + google_event_id(event_id(1)),
                            json={"start": {"date": "2026-03-20"}, "end": {"date": "2026-03-21"}})
    assert moved.status_code == 200
    assert (await sim.delete(path + google_event_id(event_id(2)))).status_code == 204

    reader = calendar_of(backend, replace(linked, read_state=writer.read_state()))
    events = await read(reader)

    assert sorted((e.event_id, e.start, e.deleted) for e in events) == [
        (event_id(1), "2026-03-20", False),
        (event_id(2), "", True),
    ]
    assert reader.read_state() != writer.read_state()


async def test_nothing_changed_reads_nothing(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = calendar_of(backend, linked)
    await calendar.apply([upsert(1)])
    await read(calendar)

    assert await read(calendar) == []


async def test_an_expired_sync_token_means_reading_everything_again(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = calendar_of(backend, linked)
    await calendar.apply([upsert(1), upsert(2)])
    await read(calendar)
    before = calendar.read_state()
    assert (await sim.post("/_sandbox/sync-tokens/expire")).status_code == 200

    events = await read(calendar)

    assert sorted(e.event_id for e in events) == [event_id(1), event_id(2)]
    assert calendar.read_state() not in (None, before)
    assert await read(calendar) == []  # the new token works


async def test_a_read_without_last_modified_lists_everything(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    """Verify reads every event zdcal manages, at any date, whatever the stored state."""
    calendar = calendar_of(backend, linked)
    await calendar.apply([upsert(1), upsert(2, start="2019-01-01", end="2019-01-02")])
    await read(calendar)

    events = await read(calendar, since=None)

    assert sorted(e.event_id for e in events) == [event_id(1), event_id(2)]


async def test_events_zdcal_did_not_write_are_ignored(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.tokens is not None
    own = {"Authorization": f"Bearer {linked.tokens.access_token}"}
    for extra in ({}, {"id": "abcdef12345"}):  # Google's id, and one that decodes to junk
        answer = await sim.post(
            f"/calendar/v3/calendars/{CALENDAR}/events", headers=own,
            json={"summary": "Lunch", "start": {"date": "2026-03-08"},
                  "end": {"date": "2026-03-09"}, **extra},
        )
        assert answer.status_code == 200, answer.text
    calendar = calendar_of(backend, linked)
    await calendar.apply([upsert(1)])

    events = await read(calendar)

    assert [e.event_id for e in events] == [event_id(1)]


def test_event_ids_round_trip_and_others_are_not_ours() -> None:
    ours = event_id(123456)
    google = google_event_id(ours)
    assert set(google) <= set("0123456789abcdefghijklmnopqrstuv")
    assert 5 <= len(google) <= 1024
    assert zdcal_event_id(google) == ours
    for other in ("abcdef12345", "", "zz", google.upper(), google_event_id("lunch-1")):
        assert zdcal_event_id(other) is None
