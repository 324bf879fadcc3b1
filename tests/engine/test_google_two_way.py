"""Two-way with Google Calendar agents: the user moves or deletes a task's event in Google
Calendar (the simulator's control routes), zdcal reads the calendar's changes by sync
token (what a push notice leads to) and the same planner decides as with the other
backends (two_way_cases.py). Then what is Google's own: a move read before zdcal heard of
Zendesk's change is put back, and an expired sync token means one full read, with the
same result."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from google_world import GoogleWorld
from two_way_cases import (
    ON_EVERY_TWO_WAY_BACKEND,
    a_move_read_before_zendesks_change_is_put_back,
    move,
    read_changes,
    ticket,
    ticket_updates,
)
from world import NIA, World, due

from zdcal.sync.calendar_moves import MoveReport


@pytest.mark.parametrize("case", ON_EVERY_TWO_WAY_BACKEND, ids=lambda case: case.__name__)
def test_two_way_on_google(google_world: GoogleWorld, case: Callable[[World], None]) -> None:
    case(google_world)


def expired_reads(world: GoogleWorld) -> int:
    """How often Google answered 410 (a sync token no longer valid)."""
    return int(world.google_stats()["by_status"].get("410", 0))


def test_zendesk_wins_when_the_ticket_changed_before_the_move_is_read(
    google_world: GoogleWorld,
) -> None:
    a_move_read_before_zendesks_change_is_put_back(google_world)


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
