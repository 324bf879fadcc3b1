"""The lifecycle scenarios (test_lifecycle.py) with Microsoft 365 agents on the Graph
simulator: the same cases, the same assertions, read back from the simulated mailboxes;
then what only Outlook shows (the event's shape, verify's repairs, a revoked grant)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from direct_lifecycle_cases import (
    a_private_timed_task_with_two_reminders,
    a_revoked_grant_marks_the_agent_and_relinking_repairs,
    verify_rewrites_a_lost_event_and_removes_a_stray,
)
from microsoft_world import MicrosoftWorld
from test_lifecycle import ON_EVERY_BACKEND
from world import World


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_microsoft(
    microsoft_world: MicrosoftWorld, case: Callable[[World], None]
) -> None:
    case(microsoft_world)


def test_each_task_is_one_outlook_event_marked_with_its_event_id(
    microsoft_world: MicrosoftWorld,
) -> None:
    event = a_private_timed_task_with_two_reminders(microsoft_world)
    assert event["reminder"] == 60, "Outlook keeps one reminder: the earliest"
    assert event["time_zone"] == "America/New_York"
    assert event["show_as"] == "free", "the agent's default: free"


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
