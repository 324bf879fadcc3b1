"""Calendar → Zendesk: what an agent's move of a task's event means for its due date.

* All-day event moved to another day: the task becomes due on that day at the same
  local time of day it had (the agent's time-of-day convention is kept), in the agent's
  time zone, resolved by the same gap/fold rules as event times.
* Timed event moved: the task becomes due at the event's new start, exactly.

Conflicts are settled by the engine with one rule: Zendesk wins. A move is applied only
if the ticket still has the due date the moved event was written from.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from zdcal.domain.event_time import local_start, parse_event_time


def moved_due_at(old_due_at: datetime, new_start: str, time_zone: str) -> datetime:
    """The due_at an agent's move of the event to ``new_start`` asks for (UTC)."""
    start = parse_event_time(new_start)
    if isinstance(start, datetime):
        return start
    zone = ZoneInfo(time_zone)
    time_of_day = old_due_at.astimezone(zone).time().replace(tzinfo=None)
    return local_start(start, time_of_day, zone)
