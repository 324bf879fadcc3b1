"""Per-agent options and time zones."""

from __future__ import annotations

from datetime import UTC, time
from typing import Any

import pytest

from zdcal.domain import (
    AgentTarget,
    EventStyle,
    InvalidAgentTarget,
    InvalidEventStyle,
    UnknownTimeZone,
    effective_time_zone,
    event_style_from_options,
)


@pytest.mark.parametrize(
    "options",
    [
        {"all_day": False},
        {"all_day": False, "local_time": time(9, 0, 30)},
        {"all_day": False, "local_time": time(9, 0, tzinfo=UTC)},
        {"duration_minutes": 4},
        {"duration_minutes": 1441},
        {"reminders_minutes": (-1,)},
        {"reminders_minutes": (40321,)},
        {"reminders_minutes": (1, 2, 3, 4, 5, 6)},
        {"reminders_minutes": (10, 10)},
    ],
)
def test_options_outside_cronofys_bounds_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventStyle):
        EventStyle(**options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"all_day": False, "local_time": time(0, 0), "duration_minutes": 5},
        {"all_day": False, "local_time": time(23, 59), "duration_minutes": 1440},
        {"reminders_minutes": (0, 15, 60, 1440, 40320)},
        {"private": True, "busy": True},
    ],
)
def test_options_within_bounds_are_accepted(options: dict[str, Any]) -> None:
    assert EventStyle(**options)


def test_a_target_needs_a_known_time_zone_and_a_calendar() -> None:
    with pytest.raises(UnknownTimeZone):
        AgentTarget(1, "cal_1", "Mars/Olympus_Mons")
    with pytest.raises(UnknownTimeZone):
        AgentTarget(1, "cal_1", "../../etc/passwd")
    with pytest.raises(InvalidAgentTarget):
        AgentTarget(1, "", "Europe/Berlin")
    assert AgentTarget(1, "cal_1", "Etc/GMT+12").zone.key == "Etc/GMT+12"


@pytest.mark.parametrize(
    ("zendesk", "override", "effective"),
    [
        ("America/New_York", None, "America/New_York"),
        ("America/New_York", "Europe/Berlin", "Europe/Berlin"),
        (None, "Pacific/Kiritimati", "Pacific/Kiritimati"),
        (None, None, "Etc/UTC"),
        ("", "", "Etc/UTC"),
        ("Eastern Time (US & Canada)", None, "Etc/UTC"),  # a Rails name in the IANA field
    ],
)
def test_the_agents_override_wins_over_zendesk(
    zendesk: str | None, override: str | None, effective: str
) -> None:
    assert effective_time_zone(zendesk, override) == effective


def test_an_invalid_override_is_refused() -> None:
    with pytest.raises(UnknownTimeZone):
        effective_time_zone("America/New_York", "Nowhere/Special")


def test_stored_options_become_a_validated_style() -> None:
    style = event_style_from_options(
        {
            "all_day": False,
            "local_time": "09:30",
            "duration_minutes": 45,
            "reminders_minutes": [10, 1440],
            "private": True,
            "busy": True,
            "unknown_key_from_a_newer_version": 1,
        }
    )
    assert style == EventStyle(
        all_day=False,
        local_time=time(9, 30),
        duration_minutes=45,
        reminders_minutes=(10, 1440),
        private=True,
        busy=True,
    )
    assert event_style_from_options({}) == EventStyle()


@pytest.mark.parametrize(
    "options",
    [
        {"all_day": False, "local_time": "9:30"},
        {"all_day": False, "local_time": "24:00"},
        {"all_day": False, "local_time": "09:30:00"},
        {"all_day": False, "local_time": 930},
        {"all_day": False},
        {"all_day": "yes"},
        {"duration_minutes": True},
        {"duration_minutes": "30"},
        {"reminders_minutes": 15},
        {"reminders_minutes": [15.5]},
        {"reminders_minutes": [True]},
        {"private": 1},
    ],
)
def test_malformed_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventStyle):
        event_style_from_options(options)
