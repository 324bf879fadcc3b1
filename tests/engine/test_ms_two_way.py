"""Two-way with Microsoft 365 agents: the user moves or deletes a task's event in Outlook
(the simulator's control routes), zdcal reads the calendar's changes by delta link (what
a change notification leads to) and the same planner decides as with the other backends
(two_way_cases.py). Then what is Graph's own: a read by a kept delta link is one
request, and an expired one (410) means one full read, with the same result."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from microsoft_world import MicrosoftWorld
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

CASES = (*ON_EVERY_TWO_WAY_BACKEND, a_move_read_before_zendesks_change_is_put_back)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_two_way_on_microsoft(
    microsoft_world: MicrosoftWorld, case: Callable[[World], None]
) -> None:
    case(microsoft_world)


def expired_reads(world: MicrosoftWorld) -> int:
    """How often Graph answered 410 (a delta link no longer valid)."""
    return int(world.graph_stats()["by_status"].get("410", 0))


def test_changes_are_read_by_delta_link_and_an_expired_one_reads_everything_again(
    microsoft_world: MicrosoftWorld,
) -> None:
    world = microsoft_world
    world.connect(NIA, "ada")
    tasks = [world.create_task(NIA, due(f"2030-04-0{day}"), f"Task {day}")
             for day in (1, 2, 3)]
    world.sync()
    read_changes(world)
    state = json.loads(world.agent(NIA).read_state or "{}")
    assert list(state) == [world.calendar("ada")], "a delta link per calendar"
    # A read by the kept link: one request, nothing expired, nothing to do.
    moves, read = read_changes(world)
    assert (moves, read.requests["microsoft"], expired_reads(world)) == (MoveReport(), 1, 0)
    # Graph forgets every delta token; meanwhile the user moves one event.
    world.graph.post("/_sandbox/delta-tokens/expire").raise_for_status()
    move(world, tasks[1], "2030-04-12", "2030-04-13")
    updates = ticket_updates(world)
    moves, read = read_changes(world)
    assert expired_reads(world) == 1
    assert read.requests["microsoft"] == 2, "the refused read, then one full read"
    # The full read holds all three events; only the moved one changes Zendesk.
    assert moves == MoveReport(due_dates_updated=1)
    assert ticket_updates(world) - updates == 1
    assert ticket(world, tasks[1])["due_at"] == due("2030-04-12")
    assert [ticket(world, t)["due_at"] for t in (tasks[0], tasks[2])] == [
        due("2030-04-01"), due("2030-04-03")]
    # A new link was kept: the next read is incremental again.
    assert json.loads(world.agent(NIA).read_state or "{}") != state
    moves, read = read_changes(world)
    assert (moves, read.requests["microsoft"], expired_reads(world)) == (MoveReport(), 1, 1)
    assert world.sync().requests.get("microsoft", 0) == 0
