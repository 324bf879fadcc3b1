"""The lifecycle scenarios (test_lifecycle.py) with Google Calendar agents on the Google
simulator: the same cases, the same assertions, read back from the simulator; then what
only Google shows (the event's shape, verify's repairs, a revoked grant)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from direct_lifecycle_cases import (
    a_revoked_grant_marks_the_agent_and_relinking_repairs,
    verify_rewrites_a_lost_event_and_removes_a_stray,
)
from google_world import GoogleWorld, google_id
from test_lifecycle import ON_EVERY_BACKEND
from world import NIA, World, due


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_google(google_world: GoogleWorld, case: Callable[[World], None]) -> None:
    case(google_world)


def test_each_task_is_one_google_event_named_by_its_event_id(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada", style={"all_day": False, "local_time": "09:00",
                                     "duration_minutes": 30, "reminders_minutes": [10, 60],
                                     "private": True})
    ticket = world.create_task(NIA, due("2030-04-01"), "Secret subject")
    world.sync()
    (item,) = world.raw_events(world.calendar("ada"))
    (event,) = world.events(world.calendar("ada")).values()
    assert item["id"] == google_id(event["event_id"])
    assert event["event_id"].endswith(f"-{ticket}")
    assert "Secret subject" not in event["summary"]
    assert event["private"]
    assert event["reminders"] == {"useDefault": False, "overrides": [
        {"method": "popup", "minutes": 10}, {"method": "popup", "minutes": 60}]}
    # 09:00 in New York on the due date, as the other backends' events say.
    assert (event["start"], event["end"]) == ("2030-04-01T13:00:00Z", "2030-04-01T13:30:00Z")
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
