"""A task's iCalendar object: built from the domain's event body, and its times read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import icalendar
import pytest

from domain.test_event_body import ACCOUNT, LINK
from domain.test_event_body import TASK as DOMAIN_TASK
from zdcal.calendars.caldav.ical import (
    NotATaskObject,
    TaskTimes,
    calendar_of,
    read_task_times,
    task_calendar,
    task_event,
    task_ics,
)
from zdcal.domain import AgentTarget, EventStyle, event_body

STAMP = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
TASK = replace(
    DOMAIN_TASK, priority="high", description="The printer shows error E-42; it beeps, twice."
)

def body(zone: str = "America/New_York", **style: Any) -> dict[str, Any]:
    agent = AgentTarget(
        agent_id=235323, calendar_id="cal", time_zone=zone, style=EventStyle(**style)
    )
    return event_body(ACCOUNT, TASK, agent)


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.events
    return event


def test_all_day_is_a_date_with_an_exclusive_end_and_no_zone() -> None:
    ics = task_ics(body(), stamp=STAMP).decode()
    assert "DTSTART;VALUE=DATE:20260308\r\n" in ics  # 07:30Z is the 8th in New York
    assert "DTEND;VALUE=DATE:20260309\r\n" in ics
    assert "VTIMEZONE" not in ics
    assert "TZID" not in ics


def test_identity_link_stamp_and_words() -> None:
    event = only_event(task_calendar(body(), stamp=STAMP))
    assert event["UID"] == "zdcal-k7q2mx4pn5r3ws6t-35436"
    assert event.decoded("DTSTAMP") == STAMP
    assert event["URL"] == LINK
    assert event["SUMMARY"] == "#35436 Call the customer back [High]"
    assert event["DESCRIPTION"] == LINK + "\n\nThe printer shows error E-42; it beeps, twice."
    assert event["CLASS"] == "PUBLIC"
    assert event["TRANSP"] == "TRANSPARENT"
    assert list(event.walk("VALARM")) == []


def test_calendar_has_version_and_product_id_and_crlf_lines() -> None:
    ics = task_ics(body(), stamp=STAMP)
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\r\nVERSION:2.0\r\n" in ics
    assert b"\r\nPRODID:-//zdcal//zdcal " in ics
    assert b"\n" not in ics.replace(b"\r\n", b"")


def test_timed_event_reads_in_the_agents_zone_with_a_matching_vtimezone() -> None:
    # 2026-03-08 is New York's spring-forward day: 09:00 EDT is 13:00Z.
    wanted = body(all_day=False, local_time=time(9, 0), duration_minutes=45)
    assert (wanted["start"], wanted["end"]) == ("2026-03-08T13:00:00Z", "2026-03-08T13:45:00Z")
    ics = task_ics(wanted, stamp=STAMP).decode()
    assert "DTSTART;TZID=America/New_York:20260308T090000\r\n" in ics
    assert "DTEND;TZID=America/New_York:20260308T094500\r\n" in ics
    [zone] = icalendar.Calendar.from_ical(ics).walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York"
    # The zone block places the event's day on the right side of the transition.
    assert "RDATE:20260308T030000" in ics or "DTSTART:20260308T030000" in ics
    assert read_task_times(ics).as_text() == (wanted["start"], wanted["end"])


def test_vtimezone_covers_the_event_only_so_objects_stay_small_and_stable() -> None:
    wanted = body(all_day=False, local_time=time(9, 0))
    ics = task_ics(wanted, stamp=STAMP)
    assert len(ics) < 2000
    assert b"2038" not in ics
    assert task_ics(wanted, stamp=STAMP) == ics


def test_utc_agents_get_utc_times_and_no_vtimezone() -> None:
    ics = task_ics(body("UTC", all_day=False, local_time=time(9, 0)), stamp=STAMP).decode()
    assert "DTSTART:20260308T090000Z\r\n" in ics
    assert "DTEND:20260308T093000Z\r\n" in ics
    assert "VTIMEZONE" not in ics


def test_reminders_are_display_alarms_before_the_start() -> None:
    event = only_event(task_calendar(body(reminders_minutes=(15, 1440, 0)), stamp=STAMP))
    alarms = list(event.walk("VALARM"))
    assert [a["ACTION"] for a in alarms] == ["DISPLAY"] * 3
    assert all(a["DESCRIPTION"] for a in alarms)  # required for DISPLAY
    assert [a.decoded("TRIGGER").total_seconds() for a in alarms] == [-86400, -900, 0]


def test_busy_is_opaque() -> None:
    assert only_event(task_calendar(body(busy=True), stamp=STAMP))["TRANSP"] == "OPAQUE"


def test_private_mode_is_class_private_with_no_ticket_content() -> None:
    ics = task_ics(body(private=True), stamp=STAMP).decode()
    event = only_event(icalendar.Calendar.from_ical(ics))
    assert event["CLASS"] == "PRIVATE"
    assert event["SUMMARY"] == "Zendesk task #35436"
    assert event["DESCRIPTION"] == LINK
    unfolded = ics.replace("\r\n ", "")
    for secret in ("Call the customer", "printer", "E-42", "High"):
        assert secret not in unfolded


def test_dtstamp_must_be_an_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        task_calendar(body(), stamp=datetime(2026, 3, 1, 12, 0))


def test_mixed_date_and_time_is_refused() -> None:
    mixed = {**body(), "end": "2026-03-08T13:00:00Z"}
    with pytest.raises(ValueError, match="both be dates or both times"):
        task_calendar(mixed, stamp=STAMP)


def test_all_day_reads_back_as_dates() -> None:
    times = read_task_times(task_ics(body(), stamp=STAMP))
    assert times == TaskTimes("zdcal-k7q2mx4pn5r3ws6t-35436", date(2026, 3, 8), date(2026, 3, 9))
    assert times.all_day
    assert times.as_text() == ("2026-03-08", "2026-03-09")


def event_text(*lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//y//EN", "BEGIN:VEVENT", "UID:u",
         "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT", "END:VCALENDAR", ""]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "start", "end"),
    [
        (["DTSTART;VALUE=DATE:20260310"], date(2026, 3, 10), date(2026, 3, 11)),
        (["DTSTART:20260310T090000Z", "DURATION:PT1H"],
         datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 10, tzinfo=UTC)),
        (["DTSTART:20260310T090000Z"],
         datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC)),
        (["DTSTART;TZID=Europe/Berlin:20260310T090000", "DTEND;TZID=Europe/Berlin:20260310T100000"],
         datetime(2026, 3, 10, 8, tzinfo=UTC), datetime(2026, 3, 10, 9, tzinfo=UTC)),
        (["DTSTART:20260310T090000", "DTEND:20260310T100000"],  # floating: read in UTC here
         datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 10, tzinfo=UTC)),
    ],
    ids=["date-no-end", "duration", "time-no-end", "tzid-without-vtimezone", "floating"],
)  # fmt: skip
def test_times_read_back_as_rfc_5545_says(lines: list[str], start: Any, end: Any) -> None:
    times = read_task_times(event_text(*lines))
    assert (times.start, times.end) == (start, end)


def test_floating_times_are_read_in_the_given_zone() -> None:
    from zoneinfo import ZoneInfo

    times = read_task_times(
        event_text("DTSTART:20260310T090000", "DTEND:20260310T100000"),
        floating_zone=ZoneInfo("Europe/Berlin"),
    )
    assert times.as_text() == ("2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z")


@pytest.mark.parametrize(
    "data",
    [
        "not a calendar",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        event_text("SUMMARY:no start"),
        event_text("DTSTART;VALUE=DATE:20260310", "DTEND:20260310T100000Z"),
    ],
    ids=["garbage", "no-event", "no-start", "mixed"],
)
def test_objects_without_a_usable_event_are_refused(data: str) -> None:
    with pytest.raises(NotATaskObject):
        read_task_times(data)


def test_a_changed_due_date_changes_the_object() -> None:
    later = replace(TASK, due_at=datetime(2026, 3, 9, 7, 30, tzinfo=UTC))
    agent = AgentTarget(agent_id=1, calendar_id="cal", time_zone="America/New_York")
    moved = task_ics(event_body(ACCOUNT, later, agent), stamp=STAMP)
    assert b"DTSTART;VALUE=DATE:20260309" in moved
    assert moved != task_ics(body(), stamp=STAMP)


def test_many_events_share_one_vtimezone_per_zone() -> None:
    timed = {"all_day": False, "local_time": time(9, 0)}
    events = [
        task_event(body("America/New_York", **timed), stamp=STAMP),
        task_event({**body("Europe/Berlin", **timed), "event_id": "e2"}, stamp=STAMP),
        task_event({**body("America/New_York", **timed), "event_id": "e3"}, stamp=STAMP),
        task_event({**body(), "event_id": "e4"}, stamp=STAMP),
    ]
    calendar = icalendar.Calendar.from_ical(calendar_of(events).to_ical())
    assert sorted(z["TZID"] for z in calendar.walk("VTIMEZONE")) == [
        "America/New_York",
        "Europe/Berlin",
    ]
    assert [e["UID"] for e in calendar.events] == [
        "zdcal-k7q2mx4pn5r3ws6t-35436", "e2", "e3", "e4"
    ]  # fmt: skip
