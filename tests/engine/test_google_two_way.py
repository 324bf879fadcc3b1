"""Two-way with Google Calendar agents: the user moves or deletes a task's event in Google
Calendar (the simulator's control routes), zdcal reads the calendar's changes by sync
token (what a push notice leads to) and the same planner decides as with the other
backends: the due date follows, no echo, a deleted event keeps the task off, Zendesk
wins. An expired sync token means one full read, with the same result."""

from __future__ import annotations

import json
from typing import Any

from google_world import GoogleWorld
from world import NIA, World, due

from zdcal.sync.calendar_moves import MoveReport, TicketUpdateBudget, read_calendar_changes
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport

TIMED = {"all_day": False, "local_time": "09:00", "duration_minutes": 30}


def ticket(world: World, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    return data


def event_of(world: GoogleWorld, ticket_id: int) -> dict[str, Any] | None:
    return next((e for e in world.events(world.calendar("ada")).values()
                 if e["event_id"].endswith(f"-{ticket_id}")), None)


def move(world: GoogleWorld, ticket_id: int, start: str, end: str) -> None:
    world.user_moves(world.calendar("ada"), _event_id(world, ticket_id), start, end)


def delete_event(world: GoogleWorld, ticket_id: int) -> None:
    world.user_deletes(world.calendar("ada"), _event_id(world, ticket_id))


def _event_id(world: GoogleWorld, ticket_id: int) -> str:
    event = event_of(world, ticket_id)
    assert event is not None
    return str(event["event_id"])


def read_changes(world: GoogleWorld) -> tuple[MoveReport, SyncReport]:
    """One read of the agent's calendar changes, as the worker does on a push notice."""
    agent = world.agent(NIA)
    report = SyncReport()

    async def work(sync: AccountSync) -> MoveReport:
        return await read_calendar_changes(sync, agent, TicketUpdateBudget())

    return world.with_sync(work, report), report


def ticket_updates(world: World) -> int:
    stats = world.zd.get("/_sandbox/stats").json()
    return sum(n for route, n in stats["by_route"].items()
               if route.startswith("PUT /api/v2/tickets"))


def expired_reads(world: GoogleWorld) -> int:
    """How often Google answered 410 (a sync token no longer valid)."""
    return int(world.google_stats()["by_status"].get("410", 0))


def test_moving_an_all_day_event_moves_the_due_date_without_echo(
    google_world: GoogleWorld,
) -> None:
    world = google_world
    world.connect(NIA, "ada")  # America/New_York; 17:00Z is noon EST there
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    world.sync()
    assert read_changes(world)[0] == MoveReport()  # zdcal's own writes: nothing to do
    updates = ticket_updates(world)
    move(world, task, "2030-03-12", "2030-03-13")
    moves, _ = read_changes(world)
    assert moves.due_dates_updated == 1
    # Moved past the DST change: still noon local, now EDT.
    assert ticket(world, task)["due_at"] == "2030-03-12T16:00:00Z"
    assert ticket_updates(world) - updates == 1
    # Zendesk's echo of our own update: no calendar write, the user's event stays.
    report = world.sync()
    assert report.requests.get("google", 0) == 0
    assert event_of(world, task)["start"] == "2030-03-12"  # type: ignore[index]
    # And the next read (by sync token) sees nothing new: one request, no update.
    moves, read = read_changes(world)
    assert moves == MoveReport()
    assert read.requests["google"] == 1
    assert ticket_updates(world) - updates == 1


def test_moving_a_timed_event_sets_the_exact_time(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada", style=TIMED)  # type: ignore[arg-type]
    task = world.create_task(NIA, due("2030-03-08", "14:00:00"), "Call")
    world.sync()
    # Across the spring-forward change in New York.
    move(world, task, "2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")
    assert read_changes(world)[0].due_dates_updated == 1
    assert ticket(world, task)["due_at"] == "2030-03-11T18:30:00Z"
    assert world.sync().requests.get("google", 0) == 0
    event = event_of(world, task)
    assert event is not None
    assert (event["start"], event["end"]) == ("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")


def test_zendesk_wins_when_the_ticket_changed_before_the_move_is_read(
    google_world: GoogleWorld,
) -> None:
    world = google_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    world.sync()
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    # The move is read before zdcal hears of Zendesk's change: the ticket no longer has
    # the due date the event was written from, so the event is put back by the rules.
    moves, _ = read_changes(world)
    assert moves.put_back == 1
    assert moves.due_dates_updated == 0
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]
    world.sync()
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def test_zendesk_wins_when_its_change_is_written_first(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    world.sync()
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    world.sync()  # overwrites the user's version (409 on insert, then a full update)
    assert read_changes(world)[0] == MoveReport()  # our own write read back
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def test_a_deleted_event_keeps_the_task_off_until_it_changes(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Not in my calendar")
    world.sync()
    delete_event(world, task)
    moves, _ = read_changes(world)
    assert moves.suppressed == 1
    world.update(task, subject="Renamed")  # not the date, assignee or type
    world.sync()
    assert event_of(world, task) is None
    assert ticket(world, task)["status"] == "open"
    world.update(task, due_at=due("2030-04-02"))
    world.sync()
    # Back under the same id (Google keeps a deleted event's id: 409, then an update
    # with status confirmed).
    assert event_of(world, task)["start"] == "2030-04-02"  # type: ignore[index]


def test_our_own_writes_read_back_are_no_moves(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Redated in Zendesk")
    world.sync()
    read_changes(world)
    world.update(task, due_at=due("2030-04-09"))
    updates = ticket_updates(world)  # the test's own update counted
    world.sync()
    moves, _ = read_changes(world)
    assert moves == MoveReport()
    assert ticket_updates(world) == updates
    assert event_of(world, task)["start"] == "2030-04-09"  # type: ignore[index]


def test_changes_are_read_by_sync_token_and_an_expired_one_reads_everything_again(
    google_world: GoogleWorld,
) -> None:
    world = google_world
    world.connect(NIA, "ada")
    tasks = [world.create_task(NIA, due(f"2030-04-0{day}"), f"Task {day}")
             for day in (1, 2, 3)]
    world.sync()
    read_changes(world)
    state = json.loads(world.agent(NIA).read_state or "{}")
    assert list(state) == [world.calendar("ada")], "a sync token per calendar"
    # A read by the stored token: one request, nothing expired.
    _, read = read_changes(world)
    assert read.requests["google"] == 1
    assert expired_reads(world) == 0
    # Google forgets every sync token; meanwhile the user moves one event.
    world.google.post("/_sandbox/sync-tokens/expire").raise_for_status()
    move(world, tasks[1], "2030-04-12", "2030-04-13")
    updates = ticket_updates(world)
    moves, read = read_changes(world)
    assert expired_reads(world) == 1
    assert read.requests["google"] == 2, "the refused read, then one full read"
    # The full read holds all three events; only the moved one changes Zendesk.
    assert moves == MoveReport(due_dates_updated=1)
    assert ticket_updates(world) - updates == 1
    assert ticket(world, tasks[1])["due_at"] == due("2030-04-12")
    assert [ticket(world, t)["due_at"] for t in (tasks[0], tasks[2])] == [
        due("2030-04-01"), due("2030-04-03")]
    # A new token was kept: the next read is incremental again.
    assert json.loads(world.agent(NIA).read_state or "{}") != state
    moves, read = read_changes(world)
    assert (moves, read.requests["google"], expired_reads(world)) == (MoveReport(), 1, 1)
    assert world.sync().requests.get("google", 0) == 0
