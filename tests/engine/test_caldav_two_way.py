"""Two-way with CalDAV agents on real servers: an agent's calendar app moves or deletes a
task's object, a poll reads it, and the same planner decides as with Cronofy (the due
date follows, no echo, a deleted event keeps the task off, Zendesk wins)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx
import icalendar
from caldav_world import CalDAVWorld
from world import KENJI, NIA, World, due

from zdcal.live.services import Services
from zdcal.live.worker import Workers
from zdcal.runtime import Runtime
from zdcal.store import Agent
from zdcal.sync.calendar_moves import MoveReport, TicketUpdateBudget, read_calendar_changes
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport

TIMED = {"all_day": False, "local_time": "09:00", "duration_minutes": 30}


def ticket(world: World, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    return data


def event_of(world: CalDAVWorld, ticket_id: int) -> dict[str, Any] | None:
    return next((e for e in world.events(world.calendar("ada")).values()
                 if e["event_id"].endswith(f"-{ticket_id}")), None)


def move(world: CalDAVWorld, ticket_id: int, start: str, end: str) -> None:
    """The agent's calendar app moves the event (a PUT over its version)."""
    event = event_of(world, ticket_id)
    assert event is not None
    data = world.objects(world.calendar("ada"))[event["href"]][1]
    calendar = icalendar.Calendar.from_ical(data)
    vevent = calendar.walk("VEVENT")[0]

    def value(text: str) -> date | datetime:
        if "T" in text:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        return date.fromisoformat(text)

    for name, text in (("DTSTART", start), ("DTEND", end)):
        del vevent[name]
        vevent.add(name, value(text))
    with world.dav.http() as http:
        response = http.put(event["href"], content=calendar.to_ical(),
                            headers={"Content-Type": "text/calendar", "If-Match": event["etag"]})
    assert response.status_code in (201, 204), response.text


def delete_event(world: CalDAVWorld, ticket_id: int) -> None:
    event = event_of(world, ticket_id)
    assert event is not None
    with world.dav.http() as http:
        assert http.delete(event["href"]).status_code in (200, 204)


def poll(world: CalDAVWorld, user_id: int = NIA) -> tuple[MoveReport, SyncReport]:
    """One read of the agent's calendar changes, as the worker's poll does it."""
    agent = world.agent(user_id)
    report = SyncReport()

    async def work(sync: AccountSync) -> MoveReport:
        return await read_calendar_changes(sync, agent, TicketUpdateBudget())

    return world.with_sync(work, report), report


def ticket_updates(world: World) -> int:
    stats = world.zd.get("/_sandbox/stats").json()
    return sum(n for route, n in stats["by_route"].items()
               if route.startswith("PUT /api/v2/tickets"))


def test_moving_an_all_day_event_moves_the_due_date_without_echo(
    caldav_world: CalDAVWorld,
) -> None:
    world = caldav_world
    world.connect(NIA, "ada")  # America/New_York; 17:00Z is noon EST there
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    world.sync()
    poll(world)  # the first poll reads zdcal's own writes: nothing to do
    updates = ticket_updates(world)
    move(world, task, "2030-03-12", "2030-03-13")
    moves, _ = poll(world)
    assert moves.due_dates_updated == 1
    # Moved past the DST change: still noon local, now EDT.
    assert ticket(world, task)["due_at"] == "2030-03-12T16:00:00Z"
    assert ticket_updates(world) - updates == 1
    etag = event_of(world, task)["etag"]  # type: ignore[index]
    # Zendesk's echo of our own update: no calendar write, the agent's version stays.
    report = world.sync()
    assert report.requests.get("caldav", 0) == 0
    assert event_of(world, task)["etag"] == etag  # type: ignore[index]
    # And the next poll sees nothing new: one request, no Zendesk update.
    moves, polled = poll(world)
    assert moves == MoveReport()
    assert polled.requests["caldav"] == 1
    assert ticket_updates(world) - updates == 1


def test_moving_a_timed_event_sets_the_exact_time(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada", style=TIMED)  # type: ignore[arg-type]
    task = world.create_task(NIA, due("2030-03-08", "14:00:00"), "Call")
    world.sync()
    # Across the spring-forward change in New York.
    move(world, task, "2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")
    poll(world)
    assert ticket(world, task)["due_at"] == "2030-03-11T18:30:00Z"
    world.sync()
    event = event_of(world, task)
    assert event is not None
    assert (event["start"], event["end"]) == ("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")


def test_zendesk_wins_when_the_ticket_changes_right_after_a_move(
    caldav_world: CalDAVWorld,
) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    world.sync()
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    # zdcal hears of Zendesk's change first: its write meets the agent's newer version
    # (412) and waits for the poll, which puts the event where Zendesk says.
    world.sync()
    poll(world)
    world.sync()
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def test_a_deleted_event_keeps_the_task_off_until_it_changes(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Not in my calendar")
    world.sync()
    delete_event(world, task)
    moves, _ = poll(world)
    assert moves.suppressed == 1
    world.update(task, subject="Renamed")  # not the date, assignee or type
    world.sync()
    assert event_of(world, task) is None
    assert ticket(world, task)["status"] == "open"
    world.update(task, due_at=due("2030-04-02"))
    world.sync()
    assert event_of(world, task) is not None  # re-created (If-None-Match: * again)


def test_our_own_writes_read_back_are_no_moves(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Redated in Zendesk")
    world.sync()
    poll(world)
    world.update(task, due_at=due("2030-04-09"))
    updates = ticket_updates(world)  # the test's own update counted
    world.sync()
    moves, _ = poll(world)
    assert moves == MoveReport()
    assert ticket_updates(world) == updates
    assert event_of(world, task)["start"] == "2030-04-09"  # type: ignore[index]


def test_the_worker_polls_caldav_agents_and_not_push_ones(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    World.connect(world, KENJI, "bob")  # a Cronofy agent: their calendar pushes
    task = world.create_task(NIA, due("2030-04-01"), "Moved on the phone")
    world.sync()
    move(world, task, "2030-04-03", "2030-04-04")

    async def serve(runtime: Runtime) -> int:
        services = Services(runtime)
        workers = Workers(services, poll_interval=0.2, tick=0.1, sweep_interval=3600,
                          verify_interval=3600)
        try:
            queued = await workers.queue_polls()
            workers.start()
            deadline = time.monotonic() + 20
            async with httpx.AsyncClient(base_url=world.sandbox.zendesk.base_url,
                                         auth=world.zd.auth) as zd:
                while time.monotonic() < deadline:
                    found = (await zd.get(f"/api/v2/tickets/{task}")).json()["ticket"]
                    if found["due_at"] == due("2030-04-03"):
                        break
                    await asyncio.sleep(0.2)
        finally:
            await workers.stop()
            await services.close()
        return queued

    assert world.run(serve) == 1  # Nia only
    assert ticket(world, task)["due_at"] == due("2030-04-03")
    nia: Agent = world.agent(NIA)
    assert nia.read_state is not None
