"""The lifecycle scenarios (test_lifecycle.py) with Google Calendar agents on the Google
simulator: the same cases, the same assertions, read back from the simulator; then what
only Google shows (the event's shape, verify's repairs, a revoked grant)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from direct_lifecycle_cases import (
    a_private_timed_task_with_two_reminders,
    a_revoked_grant_marks_the_agent_and_relinking_repairs,
    verify_rewrites_a_lost_event_and_removes_a_stray,
)
from google_world import GoogleWorld, google_id
from test_lifecycle import ON_EVERY_BACKEND
from world import World


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_google(google_world: GoogleWorld, case: Callable[[World], None]) -> None:
    case(google_world)


def test_each_task_is_one_google_event_named_by_its_event_id(google_world: GoogleWorld) -> None:
    event = a_private_timed_task_with_two_reminders(google_world)
    (item,) = google_world.raw_events(google_world.calendar("ada"))
    assert item["id"] == google_id(event["event_id"])
    assert event["reminders"] == {"useDefault": False, "overrides": [
        {"method": "popup", "minutes": 10}, {"method": "popup", "minutes": 60}]}
    assert item["start"]["timeZone"] == "America/New_York"


def test_verify_rewrites_a_lost_event_and_removes_a_stray(google_world: GoogleWorld) -> None:
    stray_id = verify_rewrites_a_lost_event_and_removes_a_stray(google_world)
    # The stray is cancelled at Google (its id stays taken), not left live.
    states = {i["id"]: i["status"]
              for i in google_world.raw_events(google_world.calendar("ada"))}
    assert states[google_id(stray_id)] == "cancelled"


def test_a_revoked_grant_marks_the_agent_and_relinking_repairs(
    google_world: GoogleWorld,
) -> None:
    a_revoked_grant_marks_the_agent_and_relinking_repairs(google_world)
