"""The two-way scenarios every backend whose changes zdcal reads must pass (run by
test_caldav_two_way.py, test_google_two_way.py and test_ms_two_way.py on their worlds):
the agent moves or deletes a task's event in their calendar, one read of the agent's
changes (what a poll or a push notice leads to) hands it to the planner, and the due
date follows, with no echo; a deleted event keeps the task off; Zendesk wins."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from direct_world import DirectWorld
from world import NIA, World, due

from zdcal.sync.calendar_moves import MoveReport, TicketUpdateBudget, read_calendar_changes
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport

TIMED = {"all_day": False, "local_time": "09:00", "duration_minutes": 30}


def ticket(world: World, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    return data


def event_of(world: World, ticket_id: int) -> dict[str, Any] | None:
    """The task's event in Nia's calendar ("ada"), if any."""
    return next((e for e in world.events(world.calendar("ada")).values()
                 if e["event_id"].endswith(f"-{ticket_id}")), None)


def move(world: World, ticket_id: int, start: str, end: str) -> None:
    world.move_event(world.calendar("ada"), _event_id(world, ticket_id), start, end)


def delete_event(world: World, ticket_id: int) -> None:
    world.delete_event(world.calendar("ada"), _event_id(world, ticket_id))


def _event_id(world: World, ticket_id: int) -> str:
    event = event_of(world, ticket_id)
    assert event is not None
    return str(event["event_id"])


def read_changes(world: World, user_id: int = NIA) -> tuple[MoveReport, SyncReport]:
    """One read of the agent's calendar changes, as the worker does it."""
    agent = world.agent(user_id)
    report = SyncReport()

    async def work(sync: AccountSync) -> MoveReport:
        return await read_calendar_changes(sync, agent, TicketUpdateBudget())

    return world.with_sync(work, report), report


def ticket_updates(world: World) -> int:
    stats = world.zd.get("/_sandbox/stats").json()
    return sum(n for route, n in stats["by_route"].items()
               if route.startswith("PUT /api/v2/tickets"))


def moving_an_all_day_event_moves_the_due_date_without_echo(world: World) -> None:
    world.connect(NIA, "ada")  # America/New_York; 17:00Z is noon EST there
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    world.sync()
    read_changes(world)  # the first read meets zdcal's own writes: nothing to do
    updates = ticket_updates(world)
    move(world, task, "2030-03-12", "2030-03-13")
    moves, _ = read_changes(world)
    assert moves.due_dates_updated == 1
    # Moved past the DST change: still noon local, now EDT.
    assert ticket(world, task)["due_at"] == "2030-03-12T16:00:00Z"
    assert ticket_updates(world) - updates == 1
    etag = event_of(world, task)["etag"]  # type: ignore[index]
    # Zendesk's echo of our own update: no calendar write, the agent's version stays.
    report = world.sync()
    assert report.requests.get(world.backend, 0) == 0
    assert event_of(world, task)["etag"] == etag  # type: ignore[index]
    # And the next read sees nothing new: one request, no Zendesk update.
    moves, read = read_changes(world)
    assert moves == MoveReport()
    assert read.requests[world.backend] == 1
    assert ticket_updates(world) - updates == 1


def moving_a_timed_event_sets_the_exact_time(world: World) -> None:
    world.connect(NIA, "ada", style=TIMED)  # type: ignore[arg-type]
    task = world.create_task(NIA, due("2030-03-08", "14:00:00"), "Call")
    world.sync()
    # Across the spring-forward change in New York.
    move(world, task, "2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")
    read_changes(world)
    assert ticket(world, task)["due_at"] == "2030-03-11T18:30:00Z"
    world.sync()
    event = event_of(world, task)
    assert event is not None
    assert (event["start"], event["end"]) == ("2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z")


def zendesk_wins_when_the_ticket_changes_right_after_a_move(world: World) -> None:
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    world.sync()
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    # zdcal hears of Zendesk's change first: its write meets the agent's newer version
    # (CalDAV: 412, the write waits for the read; Google: 409 on insert, then an update),
    # and the read puts the event where Zendesk says.
    world.sync()
    read_changes(world)
    world.sync()
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def a_deleted_event_keeps_the_task_off_until_it_changes(world: World) -> None:
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
    # Written again (CalDAV: If-None-Match: * again; Google: the same id, 409, an update).
    assert event_of(world, task)["start"] == "2030-04-02"  # type: ignore[index]


def our_own_writes_read_back_are_no_moves(world: World) -> None:
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


def a_move_read_before_zendesks_change_is_put_back(world: World) -> None:
    """With a backend that reads a move as soon as it is told (push): the move is read
    before zdcal hears of Zendesk's change; the ticket no longer has the due date the
    event was written from, so the event is put back by the rules."""
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    world.sync()
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    moves, _ = read_changes(world)
    assert moves.put_back == 1
    assert moves.due_dates_updated == 0
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]
    world.sync()
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def expired_reads(world: DirectWorld) -> int:
    """How often the service answered 410 (a sync token or delta link no longer valid)."""
    return int(world.stats()["by_status"].get("410", 0))


def changes_are_read_incrementally_and_an_expired_token_reads_everything_again(
    world: DirectWorld,
) -> None:
    """With a service that reads changes from a token it gave (Google's sync token,
    Graph's delta link): a read by the kept token is one request; an expired one (410)
    means one full read, with the same result."""
    world.connect(NIA, "ada")
    tasks = [world.create_task(NIA, due(f"2030-04-0{day}"), f"Task {day}")
             for day in (1, 2, 3)]
    world.sync()
    read_changes(world)
    state = json.loads(world.agent(NIA).read_state or "{}")
    assert list(state) == [world.calendar("ada")], "a token per calendar"
    # A read by the kept token: one request, nothing expired, nothing to do.
    moves, read = read_changes(world)
    assert (moves, read.requests[world.backend], expired_reads(world)) == (MoveReport(), 1, 0)
    # The service forgets every token; meanwhile the user moves one event.
    world.expire_read_tokens()
    move(world, tasks[1], "2030-04-12", "2030-04-13")
    updates = ticket_updates(world)
    moves, read = read_changes(world)
    assert expired_reads(world) == 1
    assert read.requests[world.backend] == 2, "the refused read, then one full read"
    # The full read holds all three events; only the moved one changes Zendesk.
    assert moves == MoveReport(due_dates_updated=1)
    assert ticket_updates(world) - updates == 1
    assert ticket(world, tasks[1])["due_at"] == due("2030-04-12")
    assert [ticket(world, t)["due_at"] for t in (tasks[0], tasks[2])] == [
        due("2030-04-01"), due("2030-04-03")]
    # A new token was kept: the next read is incremental again.
    assert json.loads(world.agent(NIA).read_state or "{}") != state
    moves, read = read_changes(world)
    assert (moves, read.requests[world.backend], expired_reads(world)) == (MoveReport(), 1, 1)
    assert world.sync().requests.get(world.backend, 0) == 0


ON_DIRECT_BACKENDS: tuple[Callable[[DirectWorld], None], ...] = (
    a_move_read_before_zendesks_change_is_put_back,
    changes_are_read_incrementally_and_an_expired_token_reads_everything_again,
)
"""The cases of the services zdcal writes to directly and hears from by push."""

ON_EVERY_TWO_WAY_BACKEND: tuple[Callable[[World], None], ...] = (
    moving_an_all_day_event_moves_the_due_date_without_echo,
    moving_a_timed_event_sets_the_exact_time,
    zendesk_wins_when_the_ticket_changes_right_after_a_move,
    a_deleted_event_keeps_the_task_off_until_it_changes,
    our_own_writes_read_back_are_no_moves,
)
