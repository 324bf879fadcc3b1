"""When the event happens: due dates never off by one, timed slots across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import EventStyle
from zdcal.domain.event_time import event_times

ALL_DAY = EventStyle()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("due_at", "zone", "day"),
    [
        # The same instant is the 7th at UTC-12 and the 8th at UTC+14.
        ("2026-03-08T07:30:00Z", "Etc/GMT+12", "2026-03-07"),
        ("2026-03-08T07:30:00Z", "Pacific/Kiritimati", "2026-03-08"),
        ("2026-03-08T11:59:00Z", "Etc/GMT+12", "2026-03-07"),
        ("2026-03-08T12:00:00Z", "Etc/GMT+12", "2026-03-08"),
        ("2026-03-07T09:59:00Z", "Pacific/Kiritimati", "2026-03-07"),
        ("2026-03-07T10:00:00Z", "Pacific/Kiritimati", "2026-03-08"),
        # New York springs forward 2026-03-08 02:00 EST, falls back 2026-11-01 02:00 EDT.
        ("2026-03-08T04:30:00Z", "America/New_York", "2026-03-07"),
        ("2026-03-08T05:30:00Z", "America/New_York", "2026-03-08"),
        ("2026-03-09T03:30:00Z", "America/New_York", "2026-03-08"),
        ("2026-03-09T04:30:00Z", "America/New_York", "2026-03-09"),
        ("2026-11-01T03:30:00Z", "America/New_York", "2026-10-31"),
        ("2026-11-01T04:30:00Z", "America/New_York", "2026-11-01"),
        ("2026-11-02T04:30:00Z", "America/New_York", "2026-11-01"),
        ("2026-11-02T05:30:00Z", "America/New_York", "2026-11-02"),
        # Berlin: 2026-03-29 01:00Z (CET->CEST) and 2026-10-25 01:00Z (CEST->CET).
        ("2026-03-28T22:30:00Z", "Europe/Berlin", "2026-03-28"),
        ("2026-03-28T23:30:00Z", "Europe/Berlin", "2026-03-29"),
        ("2026-03-29T21:30:00Z", "Europe/Berlin", "2026-03-29"),
        ("2026-03-29T22:30:00Z", "Europe/Berlin", "2026-03-30"),
        ("2026-10-24T21:30:00Z", "Europe/Berlin", "2026-10-24"),
        ("2026-10-24T22:30:00Z", "Europe/Berlin", "2026-10-25"),
        ("2026-10-25T22:30:00Z", "Europe/Berlin", "2026-10-25"),
        ("2026-10-25T23:30:00Z", "Europe/Berlin", "2026-10-26"),
        # Sydney: DST ends 2026-04-05 (16:00Z on the 4th), starts 2026-10-04 (16:00Z on the 3rd).
        ("2026-04-04T12:30:00Z", "Australia/Sydney", "2026-04-04"),
        ("2026-04-04T13:30:00Z", "Australia/Sydney", "2026-04-05"),
        ("2026-04-05T13:30:00Z", "Australia/Sydney", "2026-04-05"),
        ("2026-04-05T14:30:00Z", "Australia/Sydney", "2026-04-06"),
        ("2026-10-03T13:30:00Z", "Australia/Sydney", "2026-10-03"),
        ("2026-10-03T14:30:00Z", "Australia/Sydney", "2026-10-04"),
        ("2026-10-04T12:30:00Z", "Australia/Sydney", "2026-10-04"),
        ("2026-10-04T13:30:00Z", "Australia/Sydney", "2026-10-05"),
    ],
)
def test_all_day_event_is_on_the_agents_local_due_date(due_at: str, zone: str, day: str) -> None:
    times = event_times(utc(due_at), ZoneInfo(zone), ALL_DAY)
    next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    assert times == {"start": day, "end": next_day}


@pytest.mark.parametrize(
    ("due_at", "zone", "local", "start", "end"),
    [
        # Ordinary days.
        ("2026-03-08T07:30:00Z", "Pacific/Kiritimati", "09:00", "2026-03-07T19:00:00Z", None),
        ("2026-03-08T07:30:00Z", "Etc/GMT+12", "09:00", "2026-03-07T21:00:00Z", None),
        # Spring-forward gaps: the pre-gap offset applies, so 02:30 lands at 03:30 DST.
        ("2026-03-08T12:00:00Z", "America/New_York", "02:30", "2026-03-08T07:30:00Z", None),
        ("2026-03-29T12:00:00Z", "Europe/Berlin", "02:30", "2026-03-29T01:30:00Z", None),
        ("2026-10-04T02:00:00Z", "Australia/Sydney", "02:30", "2026-10-03T16:30:00Z", None),
        # Fall-back folds: the first occurrence (still on summer time).
        ("2026-11-01T12:00:00Z", "America/New_York", "01:30", "2026-11-01T05:30:00Z", None),
        ("2026-10-25T12:00:00Z", "Europe/Berlin", "02:30", "2026-10-25T00:30:00Z", None),
        ("2026-04-05T02:00:00Z", "Australia/Sydney", "02:30", "2026-04-04T15:30:00Z", None),
        # Around the transitions, on the same local dates.
        ("2026-03-08T12:00:00Z", "America/New_York", "09:00", "2026-03-08T13:00:00Z", None),
        ("2026-11-01T12:00:00Z", "America/New_York", "09:00", "2026-11-01T14:00:00Z", None),
        # A slot across the fold lasts its real duration: 01:30 EDT + 60 min = 01:30 EST.
        (
            "2026-11-01T12:00:00Z",
            "America/New_York",
            "01:30",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
        ),
    ],
)
def test_timed_event_is_at_the_local_time_on_the_due_date(
    due_at: str, zone: str, local: str, start: str, end: str | None
) -> None:
    duration = 60 if end else 30
    style = EventStyle(
        all_day=False, local_time=time.fromisoformat(local), duration_minutes=duration
    )
    times = event_times(utc(due_at), ZoneInfo(zone), style)
    assert times["start"] == start
    assert times["end"] == (
        end or (utc(start) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # transitions at midnight
    "America/Havana",  # transitions at midnight
    "Etc/GMT+12",
    "Pacific/Kiritimati",
    "Asia/Kolkata",
]

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
local_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(due_at=instants, zone_name=st.sampled_from(ZONES), local_time=local_times)
def test_timed_event_starts_on_the_due_date_at_or_just_after_the_local_time(
    due_at: datetime, zone_name: str, local_time: time
) -> None:
    zone = ZoneInfo(zone_name)
    style = EventStyle(all_day=False, local_time=local_time, duration_minutes=30)
    times = event_times(due_at, zone, style)
    start = utc(times["start"])
    local_start = start.astimezone(zone)
    all_day = event_times(due_at, zone, ALL_DAY)
    assert local_start.date().isoformat() == all_day["start"]
    requested = datetime.combine(local_start.date(), local_time)
    shown = local_start.replace(tzinfo=None)
    # Equal, except in a DST gap where the clock shows the same time shifted by the gap.
    assert timedelta(0) <= shown - requested <= timedelta(hours=1)
    assert utc(times["end"]) - start == timedelta(minutes=30)


@given(due_at=instants, zone_name=st.sampled_from(ZONES))
def test_all_day_event_lasts_exactly_one_date(due_at: datetime, zone_name: str) -> None:
    times = event_times(due_at, ZoneInfo(zone_name), ALL_DAY)
    start, end = date.fromisoformat(times["start"]), date.fromisoformat(times["end"])
    assert end - start == timedelta(days=1)
    # The due instant itself falls inside the local day the event covers.
    local = due_at.astimezone(ZoneInfo(zone_name))
    assert local.date() == start
