"""An agent's move of a task's event → the task's new due date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    EventStyle,
    TicketState,
    event_body,
    moved_due_at,
    same_event_time,
)

NOON_NY = datetime(2030, 3, 5, 17, 0, tzinfo=UTC)  # 12:00 in New York (EST)


def test_all_day_move_keeps_the_local_time_of_day_across_dst() -> None:
    # Moved past the spring-forward change: still 12:00 local, now EDT (16:00 UTC).
    assert moved_due_at(NOON_NY, "2030-03-12", "America/New_York") == datetime(
        2030, 3, 12, 16, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "due", "new_day", "expected"),
    [
        # UTC-10: 23:30 local is 09:30 UTC the next day.
        ("Pacific/Honolulu", datetime(2030, 1, 2, 9, 30, tzinfo=UTC), "2030-01-05",
         datetime(2030, 1, 6, 9, 30, tzinfo=UTC)),
        # UTC+13: 00:30 local is 11:30 UTC the day before.
        ("Pacific/Tongatapu", datetime(2030, 1, 1, 11, 30, tzinfo=UTC), "2030-01-05",
         datetime(2030, 1, 4, 11, 30, tzinfo=UTC)),
    ],
)
def test_all_day_move_across_midnight_in_far_zones(
    zone: str, due: datetime, new_day: str, expected: datetime
) -> None:
    assert moved_due_at(due, new_day, zone) == expected


def test_timed_move_takes_the_exact_new_start() -> None:
    assert moved_due_at(NOON_NY, "2030-03-12T13:45:00Z", "America/New_York") == datetime(
        2030, 3, 12, 13, 45, tzinfo=UTC
    )
    assert moved_due_at(NOON_NY, "2030-03-12T09:45:00-04:00", "America/New_York") == datetime(
        2030, 3, 12, 13, 45, tzinfo=UTC
    )


def test_a_pinned_due_time_keeps_the_timed_event_where_the_agent_put_it() -> None:
    account = AccountInfo(key="abcdefgh1234", subdomain="acme")
    agent = AgentTarget(
        agent_id=7, calendar_id="cal", time_zone="America/New_York",
        style=EventStyle(all_day=False, local_time=datetime(2030, 1, 1, 9, 0).time()),
    )
    moved = datetime(2030, 3, 12, 18, 15, tzinfo=UTC)
    default = event_body(account, TicketState(1, "task", "open", moved, 7), agent)
    pinned = event_body(
        account, TicketState(1, "task", "open", moved, 7, due_time_pinned=True), agent
    )
    assert default["start"] == "2030-03-12T13:00:00Z"  # 09:00 EDT, the agent's default
    assert pinned["start"] == "2030-03-12T18:15:00Z"
    assert pinned["end"] == "2030-03-12T18:45:00Z"


def test_event_times_compare_by_meaning() -> None:
    assert same_event_time("2030-03-12T18:15:00Z", "2030-03-12T18:15:00+00:00")
    assert same_event_time("2030-03-12T14:15:00-04:00", "2030-03-12T18:15:00Z")
    assert same_event_time("2030-03-12", "2030-03-12")
    assert not same_event_time("2030-03-12", "2030-03-13")
    assert not same_event_time("2030-03-12T18:15:00Z", "2030-03-12T18:16:00Z")
