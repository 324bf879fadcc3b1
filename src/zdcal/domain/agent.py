"""Where and how a connected agent wants their task events.

An :class:`AgentTarget` exists only for an agent who connected a calendar account and
chose a writable calendar: the caller builds targets from the store and leaves everyone
else out, so "assignee has a target" *is* the rule "assignee is a connected agent".

Per-agent options (:class:`EventStyle`), with the bounds decided here:

* all-day (default) or timed at a local ``HH:MM`` for ``duration_minutes`` (5 to 1440:
  shorter is invisible in most calendar views, longer is no longer "a time on the day");
* ``reminders_minutes``: at most 5, each 0 to 40320 minutes (four weeks) before the start:
  the bounds Google Calendar, the strictest provider behind Cronofy, enforces;
* ``private``: the event says only ``Zendesk task #<id>`` and is marked private;
* ``busy``: show the event as busy (``opaque``) instead of free (``transparent``, default:
  a due date is not a meeting and should not block scheduling).

The agent's time zone is Zendesk's ``iana_time_zone`` unless the agent overrode it
(:func:`effective_time_zone`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.domain.errors import InvalidAgentTarget, InvalidEventStyle, UnknownTimeZone

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 1440
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320
FALLBACK_TIME_ZONE = "Etc/UTC"

_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True, slots=True)
class EventStyle:
    """How an agent's task events look. Validated on construction."""

    all_day: bool = True
    local_time: time | None = None
    duration_minutes: int = 30
    reminders_minutes: tuple[int, ...] = ()
    private: bool = False
    busy: bool = False

    def __post_init__(self) -> None:
        if not self.all_day:
            if self.local_time is None:
                raise InvalidEventStyle("a timed event needs a local time (HH:MM)")
            if self.local_time.tzinfo is not None:
                raise InvalidEventStyle("the local time is wall-clock time: give no tzinfo")
            if self.local_time.second or self.local_time.microsecond:
                raise InvalidEventStyle("the local time is HH:MM: seconds must be zero")
        if not MIN_DURATION_MINUTES <= self.duration_minutes <= MAX_DURATION_MINUTES:
            raise InvalidEventStyle(
                f"duration must be {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes,"
                f" not {self.duration_minutes}"
            )
        if len(self.reminders_minutes) > MAX_REMINDERS:
            raise InvalidEventStyle(f"at most {MAX_REMINDERS} reminders")
        if len(set(self.reminders_minutes)) != len(self.reminders_minutes):
            raise InvalidEventStyle("reminders must be distinct")
        for minutes in self.reminders_minutes:
            if not 0 <= minutes <= MAX_REMINDER_MINUTES:
                raise InvalidEventStyle(
                    f"a reminder must be 0 to {MAX_REMINDER_MINUTES} minutes before, not {minutes}"
                )


def _option(options: Mapping[str, Any], name: str, kind: type, default: Any) -> Any:
    value = options.get(name, default)
    # bool is an int subclass: a stored ``true`` must not pass as a duration.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidEventStyle(f"option {name!r} must be {kind.__name__}, not {value!r}")
    return value


def event_style_from_options(options: Mapping[str, Any]) -> EventStyle:
    """Build a validated :class:`EventStyle` from stored or submitted JSON options.

    Keys as in :class:`EventStyle`, all optional; ``local_time`` is ``"HH:MM"`` (24 h)
    and ``reminders_minutes`` a list of integers. Unknown keys are ignored.
    """
    local_text = options.get("local_time")
    local_time = None
    if local_text is not None:
        match = _HH_MM.fullmatch(local_text) if isinstance(local_text, str) else None
        if match is None:
            raise InvalidEventStyle(
                f"local time must be HH:MM (00:00 to 23:59), not {local_text!r}"
            )
        local_time = time(int(match[1]), int(match[2]))
    reminders = _option(options, "reminders_minutes", list, [])
    if any(isinstance(minutes, bool) or not isinstance(minutes, int) for minutes in reminders):
        raise InvalidEventStyle(f"reminders must be whole minutes, not {reminders!r}")
    return EventStyle(
        all_day=_option(options, "all_day", bool, True),
        local_time=local_time,
        duration_minutes=_option(options, "duration_minutes", int, 30),
        reminders_minutes=tuple(reminders),
        private=_option(options, "private", bool, False),
        busy=_option(options, "busy", bool, False),
    )


def zone_for(time_zone: str) -> ZoneInfo:
    """The tz database entry for an IANA identifier; :class:`UnknownTimeZone` otherwise."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimeZone(f"unknown time zone {time_zone!r}") from error


def effective_time_zone(zendesk_iana_time_zone: str | None, override: str | None) -> str:
    """The agent's time zone: their override, else Zendesk's ``iana_time_zone``, else UTC.

    An invalid override is the agent's own input and raises :class:`UnknownTimeZone`;
    an invalid or missing Zendesk value falls back to ``Etc/UTC`` because the agent
    cannot fix it and their events should still appear.
    """
    if override:
        zone_for(override)
        return override
    if zendesk_iana_time_zone:
        try:
            zone_for(zendesk_iana_time_zone)
        except UnknownTimeZone:
            return FALLBACK_TIME_ZONE
        return zendesk_iana_time_zone
    return FALLBACK_TIME_ZONE


@dataclass(frozen=True, slots=True)
class AgentTarget:
    """A connected agent (Zendesk user id) and the calendar their task events go to."""

    agent_id: int
    calendar_id: str
    time_zone: str
    style: EventStyle = field(default_factory=EventStyle)

    def __post_init__(self) -> None:
        if not self.calendar_id:
            raise InvalidAgentTarget(f"agent {self.agent_id} has no calendar id")
        zone_for(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        """The agent's time zone (``ZoneInfo`` caches instances, so this is a dict lookup)."""
        return ZoneInfo(self.time_zone)
