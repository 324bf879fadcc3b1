"""When a task's event happens: the due date, never off by one, and the time on it.

``due_at`` is an instant (UTC). Its *date* is taken as the account's due-date reading
says (:mod:`zdcal.domain.due_dates`); by default in the agent's time zone: a due_at
of ``2026-03-08T07:30:00Z`` is the 7th in ``Etc/GMT+12`` (UTC-12) and the 8th in
``Pacific/Kiritimati`` (UTC+14).

* All-day (default): Cronofy's all-day form, ``start``/``end`` as dates with an exclusive
  end (``"2026-03-08"`` .. ``"2026-03-09"``), plus the agent's ``tzid``.
* Timed: the agent's local ``HH:MM`` on the due date (or, when the agent set the due
  time by dragging the event and the reading keeps exact moments, that exact time:
  ``pinned``), for ``duration_minutes`` of real
  time. Sent as UTC instants (``"2026-03-08T14:00:00Z"``), the simple Time form
  Cronofy documents, with the agent's ``tzid`` alongside so providers show the event in
  the agent's zone. UTC instants are chosen over ``{"time", "tzid"}`` objects because
  we then resolve DST ourselves, once, deterministically, instead of depending on how
  each provider reads a local time that does not exist or exists twice:

  - a local time in a spring-forward gap (02:30 in New York on 2026-03-08) is read with
    the offset before the gap, so it lands as far after the gap's start as asked
    (03:30 EDT); a local time in a fall-back fold (01:30 on 2026-11-01) is its first
    occurrence (EDT). Both are RFC 5545 §3.3.5's rules, and Python's ``fold=0``;
  - the end is start + duration in elapsed time, so a 30-minute slot lasts 30 minutes
    even across a transition.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from zdcal.domain.agent import EventStyle
from zdcal.domain.due_dates import DueDateRule, local_start

_ONE_DAY = timedelta(days=1)
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


_AGENT_ZONE_RULE = DueDateRule()


def event_times(
    due_at: datetime,
    zone: ZoneInfo,
    style: EventStyle,
    *,
    pinned: bool = False,
    rule: DueDateRule = _AGENT_ZONE_RULE,
) -> dict[str, str]:
    """Cronofy's ``start`` and ``end`` for a task due at ``due_at``, in the agent's ``zone``,
    its date read by the account's ``rule``."""
    day = rule.due_date(due_at, zone)
    if style.all_day or style.local_time is None:
        return {"start": day.isoformat(), "end": (day + _ONE_DAY).isoformat()}
    if pinned and rule.exact_moment:
        start = due_at.astimezone(UTC)
    else:
        start = local_start(day, style.local_time, zone)
    end = start + timedelta(minutes=style.duration_minutes)
    return {"start": start.strftime(_UTC_FORMAT), "end": end.strftime(_UTC_FORMAT)}


def parse_event_time(value: str) -> date | datetime:
    """A Cronofy ``start``/``end`` as read back: a date (all-day) or an aware instant.

    ``ValueError`` for anything else (an instant without an offset included)."""
    try:
        return date.fromisoformat(value)  # an all-day event's date, "2030-03-12"
    except ValueError:
        pass
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.utcoffset() is None:
        raise ValueError(f"event time without an offset: {value!r}")
    return moment.astimezone(UTC)


def same_event_time(a: str | None, b: str | None) -> bool:
    """Whether two event times are the same moment (or date), whatever their spelling."""
    if a is None or b is None:
        return a == b
    try:
        return parse_event_time(a) == parse_event_time(b)
    except ValueError:
        return a == b
