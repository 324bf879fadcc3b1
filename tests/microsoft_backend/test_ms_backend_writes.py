"""Writes: create (a transactionId and zdcal's property), PATCH by Graph's id, delete
(404 done), a crash between create and record repaired by finding the event, chunks of
20 in $batch, per-request failures as per-action outcomes."""

from __future__ import annotations

import json

import httpx
import pytest

from microsoft_backend.ms_backend_support import (
    delete,
    event_id,
    link_agent,
    mailbox,
    make_backend,
    marker,
    routes,
    stored,
    upsert,
)
from zdcal.calendars.base import EventObject, FailureKind, WriteStatus
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent

pytestmark = pytest.mark.anyio


async def test_a_create_carries_a_transaction_id_and_the_property(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    outcomes = await backend.for_agent(linked).apply([upsert(41, linked.calendar_id)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    held = await mailbox(sim)
    assert len(held) == 1
    event = held[0]
    assert event["calendarId"] == linked.calendar_id
    assert event["transactionId"].startswith(event_id(41) + "~")
    assert marker(event) == event_id(41)
    assert outcomes[0].stored_as is not None
    assert outcomes[0].stored_as.href == event["id"]
    assert outcomes[0].stored_as.etag == event["changeKey"]


async def test_an_update_patches_the_stored_event_and_a_delete_removes_it(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    first = [upsert(42, linked.calendar_id)]
    known = stored(first, await calendar.apply(first))
    moved = [upsert(42, linked.calendar_id, start="2026-03-10", end="2026-03-11")]
    await sim.post("/_sandbox/stats/reset")

    outcomes = await calendar.apply(moved, known)

    assert outcomes[0].status is WriteStatus.DONE
    held = await mailbox(sim)
    assert len(held) == 1
    assert held[0]["start"]["dateTime"].startswith("2026-03-10")
    by_route = await routes(sim)
    assert [r for r in by_route if r.startswith("PATCH")] == ["PATCH /v1.0/me/events/{event_id}"]
    assert not [r for r in by_route if r.startswith(("POST /v1.0/me", "GET"))], by_route
    known = stored(moved, outcomes)

    gone = await calendar.apply([delete(42, linked.calendar_id)], known)
    assert gone[0].status is WriteStatus.DONE
    assert await mailbox(sim) == []
    again = await calendar.apply([delete(42, linked.calendar_id)], known)  # 404: done
    assert again[0].status is WriteStatus.DONE
    never = await calendar.apply([delete(43, linked.calendar_id)])  # never there: done
    assert never[0].status is WriteStatus.DONE


async def test_a_crash_between_create_and_record_leaves_no_duplicate(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(44, linked.calendar_id)])  # outcome lost: nothing recorded

    again = await calendar.apply([upsert(44, linked.calendar_id, summary="renamed")])
    deleted = await calendar.apply([delete(44, linked.calendar_id)])  # no record either

    assert again[0].status is WriteStatus.DONE
    assert deleted[0].status is WriteStatus.DONE
    assert await mailbox(sim) == []


async def test_an_event_deleted_in_outlook_is_made_again(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    first = [upsert(45, linked.calendar_id)]
    known = stored(first, await calendar.apply(first))
    graph_id = known[(linked.calendar_id, event_id(45))].href
    assert (await sim.delete(f"/_sandbox/events/{graph_id}")).status_code == 204

    outcomes = await calendar.apply(first, known)

    assert outcomes[0].status is WriteStatus.DONE
    held = await mailbox(sim)
    assert len(held) == 1
    assert held[0]["id"] != graph_id
    assert outcomes[0].stored_as is not None
    assert outcomes[0].stored_as.href == held[0]["id"]


async def test_a_stale_stored_id_is_mended_by_finding_the_event(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    await calendar.apply([upsert(46, linked.calendar_id)])
    wrong = {(linked.calendar_id, event_id(46)): EventObject("AAMkAGnotthere", None)}

    outcomes = await calendar.apply([upsert(46, linked.calendar_id, summary="new")], wrong)

    assert outcomes[0].status is WriteStatus.DONE
    held = await mailbox(sim)
    assert len(held) == 1
    assert held[0]["subject"] == "new"


async def test_more_than_twenty_actions_go_in_batches_of_twenty(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    actions = [upsert(100 + i, linked.calendar_id) for i in range(45)]
    await sim.post("/_sandbox/stats/reset")

    outcomes = await backend.for_agent(linked).apply(actions)

    assert [o.status for o in outcomes] == [WriteStatus.DONE] * 45
    assert sorted(marker(e) or "" for e in await mailbox(sim)) == sorted(
        event_id(100 + i) for i in range(45))
    by_route = await routes(sim)
    # One request finds none of zdcal's events in the calendar, so no event is looked for
    # one by one: that envelope, then 3 chunks of at most 20 creates.
    assert by_route["POST /v1.0/$batch"] == 4
    assert by_route["GET /v1.0/me/calendars/{calendar_id}/events"] == 1
    assert by_route["POST /v1.0/me/calendars/{calendar_id}/events"] == 45


async def test_unknown_ids_in_a_calendar_without_events_of_ours_cost_one_request_each(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    await sim.post("/_sandbox/stats/reset")

    outcomes = await calendar.apply([upsert(61, linked.calendar_id),
                                     upsert(62, linked.calendar_id),
                                     delete(63, linked.calendar_id)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE] * 3
    assert sorted(marker(e) or "" for e in await mailbox(sim)) == [event_id(61), event_id(62)]
    by_route = await routes(sim)
    assert by_route["GET /v1.0/me/calendars/{calendar_id}/events"] == 1  # the one look
    assert by_route["POST /v1.0/me/calendars/{calendar_id}/events"] == 2
    assert not [r for r in by_route if r.startswith("DELETE")], by_route


async def test_a_crash_in_a_first_sync_is_mended_by_finding_each_event(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    calendar = backend.for_agent(linked)
    # Some creates went through before a crash; none was recorded.
    await calendar.apply([upsert(71, linked.calendar_id), upsert(72, linked.calendar_id)])

    again = await calendar.apply([upsert(i, linked.calendar_id, summary="renamed")
                                  for i in (71, 72, 73)] + [delete(74, linked.calendar_id)])

    assert [o.status for o in again] == [WriteStatus.DONE] * 4
    held = await mailbox(sim)
    assert sorted(marker(e) or "" for e in held) == [event_id(i) for i in (71, 72, 73)]
    assert {e["subject"] for e in held} == {"renamed"}


async def test_per_request_failures_are_per_action_outcomes(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    calendars = [c for c in await backend.for_agent(linked).calendars()]
    read_only = next(c.calendar_id for c in calendars if not c.writable)
    assert linked.calendar_id is not None
    outcomes = await backend.for_agent(linked).apply([
        upsert(51, linked.calendar_id),
        upsert(52, read_only),
        upsert(53, linked.calendar_id, tzid="Mars/Olympus_Mons",
               start="2026-03-08T10:00:00Z", end="2026-03-08T09:00:00Z"),
        upsert(54, "AAMkAGnosuchcalendar"),
    ])

    assert outcomes[0].status is WriteStatus.DONE
    assert (outcomes[1].status, outcomes[1].kind) == (
        WriteStatus.REJECTED, FailureKind.CALENDAR_GONE)
    assert (outcomes[2].status, outcomes[2].kind) == (WriteStatus.REJECTED, FailureKind.REJECTED)
    assert (outcomes[3].status, outcomes[3].kind) == (
        WriteStatus.REJECTED, FailureKind.CALENDAR_GONE)
    assert [marker(e) for e in await mailbox(sim)] == [event_id(51)]


async def test_a_failing_service_is_a_retry_outcome(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.calendar_id is not None
    await sim.post("/_sandbox/faults/failures",
                   json={"status": 500, "count": 10, "method": "GET", "path": "/v1.0/me/*"})

    outcomes = await backend.for_agent(linked).apply([upsert(61, linked.calendar_id)])

    assert (outcomes[0].status, outcomes[0].kind) == (WriteStatus.RETRY,
                                                      FailureKind.UNAVAILABLE)
    assert await mailbox(sim) == []


async def test_every_request_asks_for_immutable_ids(
    microsoft_server: ServerThread, sim: httpx.AsyncClient
) -> None:
    seen: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        seen.append(request)

    async with httpx.AsyncClient(timeout=10, event_hooks={"request": [keep]}) as http:
        backend = make_backend(microsoft_server.base_url, http)
        agent = await link_agent(backend, sim)
        assert agent.calendar_id is not None
        calendar = backend.for_agent(agent)
        await calendar.apply([upsert(71, agent.calendar_id)])
        _ = [e async for e in calendar.managed_events([agent.calendar_id])]

    graph = [r for r in seen if "/v1.0/" in r.url.path]
    assert graph
    assert all('IdType="ImmutableId"' in r.headers["prefer"] for r in graph)
    batches = [json.loads(r.content) for r in graph if r.url.path.endswith("$batch")]
    inner = [item for batch in batches for item in batch["requests"]]
    assert inner
    assert all(item["headers"]["Prefer"] == 'IdType="ImmutableId"' for item in inner)
