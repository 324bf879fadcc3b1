"""Which calendar date a task's ``due_at`` stands for: the account's *due-date reading*.

Zendesk's API gives ``due_at`` as an instant (ISO-8601 UTC), but does not document which
instant its agent UI stores when an agent picks a date (midnight? noon? in UTC or in the
account's zone?). The wrong guess shows every task a day early or late to agents far from
UTC, so an admin chooses, per account, how due dates are read:

* ``agent_zone`` (the default, zdcal's original rule): the date of ``due_at`` in the
  agent's time zone. Right when ``due_at`` is a meaningful moment (set by an API client,
  or a UI that stores the picked day at a time of day in the agent's own zone).
* ``account_zone``: the date of ``due_at`` in the Zendesk account's time zone
  (``settings.localization.iana_time_zone``), the same date for every agent.
* ``utc``: the date of ``due_at`` in UTC, the same date for every agent. Right when the
  UI stores a picked date as a fixed time of day in UTC (noon UTC, say).

In the two date-only readings (``account_zone``, ``utc``) the time of day of ``due_at`` is a
storage convention, not a time anyone chose:

* timed events start at the agent's own time of day (their style) on the due date, in
  the agent's zone; a time an agent set by dragging a timed event is not kept (see moves);
* writing a new date back (two-way) keeps the task's time of day in the reading's zone
  (noon UTC stays noon UTC), so reading the written ``due_at`` gives the new date.

In ``agent_zone`` a new date keeps the task's local time of day in the agent's zone, and
timed moves set the exact new moment, as before. Local times are resolved by RFC 5545's
rules (a time in a DST gap moves forward by the gap, a time in a fold is its first
occurrence), which never changes the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from zdcal.domain.agent import zone_for
from zdcal.domain.errors import InvalidDueDateRule

_UTC_ZONE = ZoneInfo("Etc/UTC")


class DueDateReading(StrEnum):
    """How an account's ``due_at`` values are read as dates (stored per account)."""

    AGENT_ZONE = "agent_zone"
    ACCOUNT_ZONE = "account_zone"
    UTC = "utc"


def due_date_reading(text: str) -> DueDateReading:
    """The reading named by ``text`` (a form or stored value); :class:`InvalidDueDateRule`
    for anything else."""
    try:
        return DueDateReading(text)
    except ValueError as exc:
        choices = ", ".join(reading.value for reading in DueDateReading)
        raise InvalidDueDateRule(f"due dates are read as one of {choices}, not {text!r}") from exc


def local_start(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``local_time`` on ``day`` in ``zone`` (RFC 5545 gap/fold rules)."""
    # fold=0 (the default) is exactly RFC 5545: pre-gap offset in a gap, first occurrence in a fold.
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DueDateRule:
    """An account's due-date reading, with the account's time zone (IANA) it may need."""

    reading: DueDateReading = DueDateReading.AGENT_ZONE
    account_time_zone: str | None = None

    def __post_init__(self) -> None:
        if self.account_time_zone is not None:
            zone_for(self.account_time_zone)
        if self.reading is DueDateReading.ACCOUNT_ZONE and self.account_time_zone is None:
            raise InvalidDueDateRule(
                "reading due dates in the account's time zone needs that time zone"
            )

    @property
    def exact_moment(self) -> bool:
        """Whether ``due_at``'s time of day means something (only in ``agent_zone``)."""
        return self.reading is DueDateReading.AGENT_ZONE

    def zone(self, agent_zone: ZoneInfo) -> ZoneInfo:
        """The zone the date of ``due_at`` is taken in, for an agent living in ``agent_zone``."""
        if self.reading is DueDateReading.UTC:
            return _UTC_ZONE
        if self.reading is DueDateReading.ACCOUNT_ZONE:
            assert self.account_time_zone is not None  # checked on construction
            return ZoneInfo(self.account_time_zone)
        return agent_zone

    def due_date(self, due_at: datetime, agent_zone: ZoneInfo) -> date:
        """The calendar date a task due at ``due_at`` is shown on, to an agent in ``agent_zone``."""
        return due_at.astimezone(self.zone(agent_zone)).date()

    def due_at_on(self, day: date, current_due_at: datetime, agent_zone: ZoneInfo) -> datetime:
        """The ``due_at`` (UTC) that puts the task on ``day``: its current time of day in the
        reading's zone, on ``day``. :meth:`due_date` of the result is ``day``."""
        zone = self.zone(agent_zone)
        time_of_day = current_due_at.astimezone(zone).time().replace(tzinfo=None)
        return local_start(day, time_of_day, zone)
