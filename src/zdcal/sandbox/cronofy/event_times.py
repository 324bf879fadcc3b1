"""Cronofy's three ways of writing an event time, parsed, compared and written back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.cronofy import assumptions

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")


class EventTimeError(ValueError):
    """A time Cronofy would refuse; ``key`` is the error key for the 422 body."""

    def __init__(self, key: str, description: str) -> None:
        super().__init__(description)
        self.key = key
        self.description = description


def zone_named(tzid: str) -> ZoneInfo | None:
    """The IANA zone called ``tzid``, or None when there is no such zone."""
    if not tzid or tzid.startswith(("/", ".")):
        return None
    try:
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def format_instant(instant: datetime) -> str:
    """An instant the way Cronofy writes it: UTC, whole seconds, ``Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class EventTime:
    """A start or end: a date (all-day, floating) or an instant, with the zone it came with."""

    value: date | datetime
    tzid: str | None = None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.value, datetime)

    def instant(self, zone: ZoneInfo) -> datetime:
        """The moment this time stands for; a date is midnight in ``zone`` (it floats)."""
        if isinstance(self.value, datetime):
            return self.value
        return datetime.combine(self.value, time(0), tzinfo=zone)

    def to_json(self) -> str:
        """How read events reports it: ``YYYY-MM-DD`` or a UTC instant."""
        if isinstance(self.value, datetime):
            return format_instant(self.value)
        return self.value.isoformat()


def parse_moment(text: str) -> date | datetime:
    """A date or an offset-qualified ISO 8601 time (naive times are ambiguous: refused)."""
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise EventTimeError(assumptions.ERROR_INVALID, f"{text!r} is not a date") from exc
    if _DATETIME.match(text):
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except ValueError as exc:
            raise EventTimeError(assumptions.ERROR_INVALID, f"{text!r} is not a time") from exc
    raise EventTimeError(
        assumptions.ERROR_INVALID,
        f"{text!r} must be a date (2014-08-05) or a UTC time (2014-08-05T15:30:00Z)",
    )


def parse_event_time(raw: object) -> EventTime:
    """Parse ``"2014-08-05"``, ``"2014-08-05T15:30:00Z"`` or ``{"time": .., "tzid": ..}``."""
    if isinstance(raw, str):
        return EventTime(parse_moment(raw))
    if isinstance(raw, dict):
        moment, tzid = raw.get("time"), raw.get("tzid")
        if not isinstance(moment, str) or not moment:
            raise EventTimeError(assumptions.ERROR_REQUIRED, "time must be specified")
        if tzid is not None and (not isinstance(tzid, str) or zone_named(tzid) is None):
            raise EventTimeError(assumptions.ERROR_UNKNOWN_TZID, f"unknown tzid {tzid!r}")
        return EventTime(parse_moment(moment), tzid)
    raise EventTimeError(
        assumptions.ERROR_INVALID_TYPE, "must be a time string or {time, tzid} object"
    )
