"""One task's event as an iCalendar object (RFC 5545), and its times read back.

Input is the event body the domain already builds for every backend
(:func:`zdcal.domain.event_body`: ``event_id``, ``summary``, ``description``, ``start``,
``end``, ``tzid``, ``url``, ``transparency``, ``event_private``, ``reminders``), so what a
task's event says is decided once, in the domain, and only its spelling differs here:

* ``UID`` is zdcal's event id; one object (one ``.ics`` resource) per task.
* All-day: ``DTSTART;VALUE=DATE`` and an exclusive ``DTEND;VALUE=DATE``, no zone.
* Timed: the domain's UTC instants shown in the agent's zone (``DTSTART;TZID=...``) with
  a ``VTIMEZONE`` for that zone in the same object, as RFC 5545 requires. The instant
  is the domain's (DST already resolved there); the zone only decides how it reads. The
  ``VTIMEZONE`` covers the year before the event to the year after it: enough for any
  client to place it, and it depends on the event alone, so an unchanged task gives
  the same bytes. ``UTC`` (and zones without transitions) are written as UTC times.
* Reminders are ``VALARM``s (``ACTION:DISPLAY``, ``TRIGGER:-PT<n>M``), soonest last.
* Private mode: ``CLASS:PRIVATE``; the domain already left the ticket's subject,
  priority and description out of the summary and description.
* ``URL`` is the ticket link; ``TRANSP`` is ``OPAQUE`` (busy) or ``TRANSPARENT``.
* ``DTSTAMP`` is the instant given by the caller's clock (never read here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from zdcal import __version__
from zdcal.domain.event_time import parse_event_time

PRODUCT_ID = f"-//zdcal//zdcal {__version__}//EN"
_UTC_ZONES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"}
_ONE_DAY = timedelta(days=1)


class NotATaskObject(ValueError):
    """Calendar data that holds no usable event (unparsable, no VEVENT or no DTSTART)."""


def task_calendar(event: Mapping[str, Any], *, stamp: datetime) -> icalendar.Calendar:
    """The ``VCALENDAR`` holding the task event the domain's ``event`` body describes."""
    return calendar_of([task_event(event, stamp=stamp)])


def task_event(event: Mapping[str, Any], *, stamp: datetime) -> icalendar.Event:
    """The ``VEVENT`` of one task (put it in a calendar with :func:`calendar_of`)."""
    if stamp.utcoffset() is None:
        raise ValueError("the DTSTAMP instant must be timezone-aware")
    start = parse_event_time(str(event["start"]))
    end = parse_event_time(str(event["end"]))
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError(f"start and end must both be dates or both times: {start!r}, {end!r}")
    zone = _display_zone(str(event.get("tzid") or "UTC"))
    vevent = icalendar.Event()
    vevent.add("uid", str(event["event_id"]))
    vevent.add("dtstamp", stamp.astimezone(UTC))
    if isinstance(start, datetime) and isinstance(end, datetime):
        vevent.add("dtstart", start.astimezone(zone))
        vevent.add("dtend", end.astimezone(zone))
    else:
        vevent.add("dtstart", start)
        vevent.add("dtend", end)
    vevent.add("summary", str(event["summary"]))
    if event.get("description"):
        vevent.add("description", str(event["description"]))
    if event.get("url"):
        vevent.add("url", str(event["url"]))
    vevent.add("class", "PRIVATE" if event.get("event_private") else "PUBLIC")
    vevent.add("transp", "OPAQUE" if event.get("transparency") == "opaque" else "TRANSPARENT")
    for before in sorted({int(r["minutes"]) for r in event.get("reminders") or ()}, reverse=True):
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Reminder")
        alarm.add("trigger", -timedelta(minutes=before))
        vevent.add_component(alarm)
    return vevent


def calendar_of(vevents: Sequence[icalendar.Event]) -> icalendar.Calendar:
    """A ``VCALENDAR`` of task events with a ``VTIMEZONE`` for every zone they use.

    The zone blocks cover the year before the earliest timed event to the year after the
    latest (one object per task here; a whole feed later).
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    years = []
    for vevent in vevents:
        calendar.add_component(vevent)
        start = vevent.decoded("DTSTART")
        if isinstance(start, datetime) and start.tzinfo is not UTC:
            years.append(start.year)
    if years:
        calendar.add_missing_timezones(
            first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
        )
    return calendar


def task_ics(event: Mapping[str, Any], *, stamp: datetime) -> bytes:
    """:func:`task_calendar` serialized (CRLF lines, folded at 75 octets), ready to PUT."""
    data: bytes = task_calendar(event, stamp=stamp).to_ical()
    return data


def _display_zone(tzid: str) -> tzinfo:
    """The zone a timed event is shown in; UTC itself for the UTC spellings."""
    if tzid in _UTC_ZONES:
        return UTC
    return ZoneInfo(tzid)


@dataclass(frozen=True)
class TaskTimes:
    """When an object read from a server says its event happens.

    ``start``/``end`` are dates for an all-day event (``end`` exclusive) and aware UTC
    instants for a timed one: the values :func:`zdcal.domain.event_time.parse_event_time`
    gives for Cronofy's spelling, so the two-way rules compare them the same way.
    """

    uid: str
    start: date | datetime
    end: date | datetime

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def as_text(self) -> tuple[str, str]:
        """``start``/``end`` in the domain's (Cronofy's) text form: ``2026-03-08`` or
        ``2026-03-08T14:00:00Z``."""
        return _text(self.start), _text(self.end)


def read_task_times(data: bytes | str, *, floating_zone: tzinfo = UTC) -> TaskTimes:
    """The UID, start and end of the (first) event in calendar data from a server.

    A missing ``DTEND`` is filled as RFC 5545 says: ``DURATION`` if present, else one day
    for a date and zero length for a time. A "floating" local time (no zone, no ``Z``) is
    read in ``floating_zone`` (the agent's, when the caller knows it).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise NotATaskObject(f"unreadable calendar data: {exc}") from exc
    vevents = [c for c in calendar.walk("VEVENT") if "RECURRENCE-ID" not in c]
    if not vevents:
        raise NotATaskObject("the calendar data holds no event")
    vevent = vevents[0]
    if "DTSTART" not in vevent:
        raise NotATaskObject("the event has no DTSTART")
    start = _normalized(vevent.decoded("DTSTART"), floating_zone)
    if "DTEND" in vevent:
        end = _normalized(vevent.decoded("DTEND"), floating_zone)
    elif "DURATION" in vevent:
        duration = vevent.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise NotATaskObject(f"not a duration: {duration!r}")
        end = start + duration
    else:
        end = start if isinstance(start, datetime) else start + _ONE_DAY
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise NotATaskObject("DTSTART and DTEND mix a date and a time")
    return TaskTimes(uid=str(vevent.get("UID", "")), start=start, end=end)


def _normalized(value: object, floating_zone: tzinfo) -> date | datetime:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=floating_zone)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return value
    raise NotATaskObject(f"not a date or date-time: {value!r}")


def _text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()
