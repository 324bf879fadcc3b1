"""Calendar → Zendesk: what an agent's move of a task's event means for its due date.

The new due date is written so that the account's due-date reading
(:mod:`zdcal.domain.due_dates`) reads it back as the day the agent chose:

* All-day event moved to another day: the task becomes due on that day at the time of
  day it had in the reading's zone (the agent's zone by default; the account's zone or
  UTC in the date-only readings), resolved by the same gap/fold rules as event times.
* Timed event moved, default reading: the task becomes due at the event's new start,
  exactly.
* Timed event moved, date-only readings: ``due_at`` holds only a date there, so only the
  day changes: the task becomes due on the local date (agent's zone) of the new start,
  as an all-day move to that day would write; the event goes back to the agent's time
  of day on that date.

Whether a move is applied at all is decided by :mod:`zdcal.domain.calendar_changes`
(Zendesk wins: only if the ticket still has the due date the moved event was written
from, and is still an open task of the agent).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from zdcal.domain.due_dates import DueDateRule
from zdcal.domain.event_time import parse_event_time

_AGENT_ZONE_RULE = DueDateRule()


def moved_due_at(
    old_due_at: datetime,
    new_start: date | datetime | str,
    time_zone: str,
    rule: DueDateRule = _AGENT_ZONE_RULE,
) -> datetime:
    """The due_at (UTC) an agent in ``time_zone`` asks for by moving the event to
    ``new_start`` (a date: all-day; an instant: timed; or the calendar's text of
    either), under the account's due-date ``rule``."""
    start = parse_event_time(new_start) if isinstance(new_start, str) else new_start
    zone = ZoneInfo(time_zone)
    if isinstance(start, datetime):
        if rule.exact_moment:
            return start
        return rule.due_at_on(start.astimezone(zone).date(), old_due_at, zone)
    return rule.due_at_on(start, old_due_at, zone)
