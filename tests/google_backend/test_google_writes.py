"""Writes: insert by our own id, 409 → update (reviving a deleted event), deletes that
find nothing, a crash between a write and its record, batches and per-call outcomes."""

from __future__ import annotations

import httpx
import pytest

from google_backend.google_backend_support import (
    CALENDAR,
    delete,
    event_id,
    sim_events,
    upsert,
)
from zdcal.calendars.base import FailureKind, WriteStatus
from zdcal.calendars.google.backend import BATCH_SIZE
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.event_ids import google_event_id
from zdcal.store import Agent

pytestmark = pytest.mark.anyio

HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"  # the agent may only read it


async def test_an_upsert_inserts_the_event_under_our_id(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    outcomes = await backend.for_agent(linked).apply([upsert(1)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    [event] = await sim_events(sim)
    assert event["id"] == google_event_id(event_id(1))
    assert event["status"] == "confirmed"
    assert event["summary"] == "#1 Call the customer"


async def test_upserting_again_updates_the_one_event(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(1)])

    outcomes = await calendar.apply([upsert(1, start="2026-03-10", end="2026-03-11")])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    [event] = await sim_events(sim)
    assert event["start"] == {"date": "2026-03-10"}


async def test_a_crash_between_the_write_and_its_record_leaves_no_duplicate(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    """The write succeeded but zdcal never recorded it: the same action again, from a
    fresh calendar object (another process), meets 409 and updates the same event."""
    await backend.for_agent(linked).apply([upsert(1)])

    outcomes = await backend.for_agent(linked).apply([upsert(1), upsert(2)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE, WriteStatus.DONE]
    assert sorted(e["id"] for e in await sim_events(sim)) == sorted(
        google_event_id(event_id(t)) for t in (1, 2)
    )


async def test_an_event_the_agent_deleted_comes_back_when_written_again(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(1)])
    gid = google_event_id(event_id(1))
    assert (await sim.delete(f"/_sandbox/calendars/{CALENDAR}/events/{gid}")).status_code == 204

    outcomes = await calendar.apply([upsert(1)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    [event] = await sim_events(sim)
    assert event["status"] == "confirmed"


async def test_deletes_are_done_when_deleted_already_or_never_written(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(1)])

    first = await calendar.apply([delete(1)])
    again = await calendar.apply([delete(1)])  # Google: 410 deleted
    never = await calendar.apply([delete(99)])  # Google: 404

    assert [o.status for o in first + again + never] == [WriteStatus.DONE] * 3
    [event] = await sim_events(sim)
    assert event["status"] == "cancelled"


async def test_more_actions_than_a_batch_holds_all_get_their_outcome(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    count = BATCH_SIZE + 7
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(t) for t in range(1, 11)])  # 10 exist: 409 → update

    outcomes = await calendar.apply(
        [upsert(t, start="2026-04-01", end="2026-04-02") for t in range(1, count + 1)]
    )

    assert [o.status for o in outcomes] == [WriteStatus.DONE] * count
    events = await sim_events(sim)
    assert len(events) == count
    assert {e["start"]["date"] for e in events} == {"2026-04-01"}


async def test_each_call_in_a_batch_has_its_own_outcome(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    outcomes = await backend.for_agent(linked).apply([
        upsert(1),
        upsert(2, calendar_id="nobody@example.com"),  # not in the agent's list: 404
        upsert(3, calendar_id=HOLIDAYS),  # read-only for the agent: 403 forbidden
        upsert(4, start="2026-03-09", end="2026-03-08"),  # Google refuses: 400
        delete(5, calendar_id="nobody@example.com"),  # nothing of ours there
    ])

    assert [o.status for o in outcomes] == [
        WriteStatus.DONE, WriteStatus.REJECTED, WriteStatus.REJECTED, WriteStatus.REJECTED,
        WriteStatus.DONE,
    ]
    assert outcomes[1].kind is FailureKind.CALENDAR_GONE
    assert outcomes[2].kind is FailureKind.CALENDAR_GONE
    assert outcomes[3].kind is FailureKind.REJECTED
    assert outcomes[3].reason is not None
    assert "time range" in outcomes[3].reason
    assert len(await sim_events(sim)) == 1


async def test_a_single_action_is_written_too(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert await backend.for_agent(linked).apply([]) == []
    outcomes = await backend.for_agent(linked).apply([delete(1)])
    assert [o.status for o in outcomes] == [WriteStatus.DONE]
