"""The small interface every calendar backend offers the sync engine.

The engine speaks in domain actions (:class:`zdcal.domain.Upsert`,
:class:`zdcal.domain.Delete`); a backend turns them into its API's idempotent writes
(upsert by our own event id; delete is a no-op when absent) and reports one outcome per
action, in order. Whole-connection problems are exceptions, per-action ones outcomes.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zdcal.domain import Action


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar of the agent's calendar account."""

    calendar_id: str
    name: str
    writable: bool
    primary: bool
    provider: str
    profile: str


@dataclass(frozen=True)
class ManagedEvent:
    """An event this application manages, as the calendar holds it now."""

    calendar_id: str
    event_id: str
    start: str
    end: str
    deleted: bool
    updated: datetime | None


class WriteStatus(enum.Enum):
    DONE = "done"
    """The calendar holds what was asked (written, or deleted/already absent)."""
    REJECTED = "rejected"
    """The calendar refused this one write for good (e.g. 422): retrying will not help."""
    RETRY = "retry"
    """A passing failure (rate limit, 5xx): try again later."""


class FailureKind(enum.StrEnum):
    """Why a write failed, as far as the person whose calendar it is cares (the pages
    say each in plain words; ``reason`` keeps the detail for admins)."""

    UNAVAILABLE = "unavailable"
    """The calendar service did not answer, failed or asked to slow down."""
    CALENDAR_GONE = "calendar_gone"
    """The chosen calendar no longer exists or is no longer shared."""
    REJECTED = "rejected"
    """The calendar refused the event itself (a 422)."""
    UNKNOWN = "unknown"
    """Anything else, and failures recorded before kinds existed."""


@dataclass(frozen=True)
class WriteOutcome:
    status: WriteStatus
    reason: str | None = None
    kind: FailureKind = FailureKind.UNKNOWN  # for a failed write


class CalendarAuthorizationLost(Exception):
    """The agent must reconnect: the refresh failed, access was revoked, or the provider
    lost its credentials (Cronofy 423)."""


class CalendarUnavailable(Exception):
    """The whole calendar service could not be reached or kept failing: try later."""


class AgentCalendar(Protocol):
    """One agent's connected calendar account."""

    async def calendars(self) -> list[CalendarInfo]:
        """Every calendar of the account, writable or not."""
        ...

    async def apply(self, actions: Sequence[Action]) -> list[WriteOutcome]:
        """Carry out the actions; one outcome per action, in order."""
        ...

    def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
    ) -> AsyncIterator[ManagedEvent]:
        """Every event we manage in these calendars, at any date (deleted ones too), all
        pages. (Cronofy applies no date window to managed events read without bounds.)"""
        ...
