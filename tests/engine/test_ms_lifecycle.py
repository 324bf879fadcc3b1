"""The lifecycle scenarios (test_lifecycle.py) with Microsoft 365 agents on the Graph
simulator: the same cases, the same assertions, read back from the simulated mailboxes;
then what only Outlook shows (the event's shape, verify's repairs, a revoked grant)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from direct_lifecycle_cases import (
    a_revoked_grant_marks_the_agent_and_relinking_repairs,
    verify_rewrites_a_lost_event_and_removes_a_stray,
)
from microsoft_world import MicrosoftWorld
from test_lifecycle import ON_EVERY_BACKEND
from world import NIA, World, due


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_microsoft(
    microsoft_world: MicrosoftWorld, case: Callable[[World], None]
) -> None:
    case(microsoft_world)


def test_each_task_is_one_outlook_event_marked_with_its_event_id(
    microsoft_world: MicrosoftWorld,
) -> None:
    world = microsoft_world
    world.connect(NIA, "ada", style={"all_day": False, "local_time": "09:00",
                                     "duration_minutes": 30, "reminders_minutes": [10, 60],
                                     "private": True})
    ticket = world.create_task(NIA, due("2030-04-01"), "Secret subject")
    world.sync()
    (event,) = world.events(world.calendar("ada")).values()
    assert event["event_id"].endswith(f"-{ticket}")
    assert "Secret subject" not in event["summary"]
    assert event["private"]
    assert event["reminder"] == 60, "Outlook keeps one reminder: the earliest"
    # 09:00 in New York on the due date, as the other backends' events say, in her zone.
    assert (event["start"], event["end"]) == ("2030-04-01T13:00:00Z", "2030-04-01T13:30:00Z")
    assert event["time_zone"] == "America/New_York"


def test_verify_rewrites_a_lost_event_and_removes_a_stray(
    microsoft_world: MicrosoftWorld,
) -> None:
    verify_rewrites_a_lost_event_and_removes_a_stray(microsoft_world)
    assert len(microsoft_world.raw_events(microsoft_world.calendar("ada"))) == 1, (
        "the stray is deleted")


def test_a_revoked_grant_marks_the_agent_and_relinking_repairs(
    microsoft_world: MicrosoftWorld,
) -> None:
    a_revoked_grant_marks_the_agent_and_relinking_repairs(microsoft_world)
