"""Two-way: what to do when an agent changed a task's event in their calendar.

The calendar → Zendesk planner, in the manner of :mod:`zdcal.domain.planner`: what zdcal
last wrote, what the calendar holds now, the ticket as it is now and the agent's settings
in; one decision out, no I/O. The sync reads, calls :func:`plan_calendar_change` and
carries the decision out.

* **No echo**: an event whose start and end are the ones zdcal last wrote (whatever
  their spelling) is not a change: :class:`NoChange`. So zdcal's own writes, and the
  moved event zdcal records as its own after updating the due date, cause nothing.
* **Deleted**: a deleted event neither deletes nor solves the ticket. :class:`KeepOff`:
  the task stays off that calendar until its due date, assignee or type changes.
* **Moved**: a start or end other than the one written. With two-way off (the agent's
  own setting, else the account's default), or for an agent who cannot receive events,
  the event is put back (:class:`PutBack`). Otherwise the conflict policy decides, and it
  is one rule, :func:`zendesk_wins`: the move is applied only while the ticket still has
  the due date the event was written from and is still an open task of this agent; else
  the event is put back to what the rules say for the ticket as it is now. An applied
  move is :class:`UpdateDueDate` with the ``due_at`` the account's due-date reading
  gives back as the new day (:mod:`zdcal.domain.moves`); a timed move that keeps the
  same ``due_at`` (moved within its day where due dates are dates only) is put back.
* When Zendesk refuses the update (a closed ticket), Zendesk wins again:
  :func:`refused_update` puts the event back.
* After an update, :func:`entry_as_moved` says whether the rules now place the event
  exactly where the agent put it; then the moved event is recorded as zdcal's own
  write (no echo), else the sync re-plans the ticket at once.

All-day and timed events are told apart by the parsed type of their times
(:class:`EventSpan`: dates vs instants), never by the text's length.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeAlias

from zdcal.domain.account import AccountInfo
from zdcal.domain.agent import AgentTarget
from zdcal.domain.due_dates import DueDateRule
from zdcal.domain.entries import DesiredEntry, desired_entry
from zdcal.domain.event_time import parse_event_time
from zdcal.domain.moves import moved_due_at
from zdcal.domain.ticket import TicketState, is_open_task_status


@dataclass(frozen=True, slots=True)
class EventSpan:
    """An event's start and end, parsed: dates for all-day events, UTC instants for timed.

    Equal spans are the same moments (or dates), however they were spelled."""

    start: date | datetime
    end: date | datetime

    @classmethod
    def parse(cls, start: str, end: str) -> EventSpan:
        """The span of a calendar's ``start``/``end`` texts; ``ValueError`` if unreadable."""
        return cls(parse_event_time(start), parse_event_time(end))

    @property
    def all_day(self) -> bool:
        """Whether the event is all-day (its start is a date, not an instant)."""
        return not isinstance(self.start, datetime)


@dataclass(frozen=True, slots=True)
class WrittenEvent:
    """What zdcal last wrote for a ticket in one calendar.

    ``span`` is ``None`` when the times written were not recorded (then any event the
    calendar reports differs from it); ``due_at`` is the due date the event was written
    from (``None``: zdcal knows none)."""

    calendar_id: str
    span: EventSpan | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """The event as the calendar holds it now."""

    span: EventSpan


@dataclass(frozen=True, slots=True)
class DeletedEvent:
    """The calendar reports the event deleted."""


EventNow: TypeAlias = HeldEvent | DeletedEvent
"""What the calendar reports of an event (``None`` where it reported nothing)."""


@dataclass(frozen=True, slots=True)
class TwoWaySettings:
    """The agent's settings that decide a move.

    ``agent_id`` is the agent's Zendesk user id; ``two_way`` whether their calendar
    changes update Zendesk (:func:`zdcal.domain.two_way_in_effect`); ``target`` where and
    how they receive events (time zone, style), ``None`` when they cannot receive any;
    ``due_dates`` the account's due-date reading."""

    agent_id: int
    two_way: bool
    target: AgentTarget | None
    due_dates: DueDateRule


class PutBackReason(StrEnum):
    """Why a moved event goes back to what the rules say."""

    TWO_WAY_OFF = "two-way is off"
    NOT_RECEIVING = "the agent receives no events"
    NO_KNOWN_DUE_DATE = "the event was written from no known due date"
    CHANGED_IN_ZENDESK = "the due date changed in Zendesk since the event was written"
    NOT_OPEN_TASK = "the ticket is no longer an open task"
    REASSIGNED = "the ticket is no longer assigned to this agent"
    SAME_DUE_DATE = "the move does not change the due date"
    ZENDESK_REFUSED = "Zendesk refused the new due date"


@dataclass(frozen=True, slots=True)
class NoChange:
    """Nothing to do: the calendar holds what zdcal wrote, or reported nothing new."""


@dataclass(frozen=True, slots=True)
class KeepOff:
    """The agent deleted the event: forget the entry, and plan no event for the ticket
    in this agent's calendar while its due date, assignee and type are those of
    ``ticket`` (``None``: zdcal knows nothing of the ticket to hold it to)."""

    ticket: TicketState | None


class KeptOffBasis(Protocol):
    """What a :class:`KeepOff` held the ticket to: its due date, assignee and type then."""

    @property
    def due_at(self) -> datetime | None: ...

    @property
    def assignee_id(self) -> int | None: ...

    @property
    def type(self) -> str | None: ...


def still_kept_off(basis: KeptOffBasis, ticket: TicketState | None) -> bool:
    """Whether a task an agent deleted from their calendar stays off it: while the
    ticket's due date, assignee and type are those it had then. A ticket zdcal no longer
    knows, or any of the three changed, and the keep-off has lapsed."""
    return ticket is not None and (ticket.due_at, ticket.assignee_id, ticket.type) == (
        basis.due_at, basis.assignee_id, basis.type
    )


@dataclass(frozen=True, slots=True)
class PutBack:
    """Rewrite the calendar from the rules for the ticket as it is now (which may mean
    deleting the event, for a ticket that wants none)."""

    reason: PutBackReason


@dataclass(frozen=True, slots=True)
class UpdateDueDate:
    """Set the ticket's ``due_at`` in Zendesk. ``pin``: the event keeps the exact time
    it was dropped at (a timed move where due dates are exact moments)."""

    due_at: datetime
    pin: bool


CalendarDecision: TypeAlias = NoChange | KeepOff | PutBack | UpdateDueDate


def is_move(written: WrittenEvent, event: EventNow | None) -> bool:
    """Whether the calendar holds the event somewhere other than where zdcal wrote it
    (only then is the ticket's state in Zendesk worth reading)."""
    return isinstance(event, HeldEvent) and event.span != written.span


def zendesk_wins(
    written_from: datetime, ticket: TicketState | None, agent_id: int
) -> PutBackReason | None:
    """The conflict policy, in one place: Zendesk wins. A move may change the due date
    only while the ticket still has the due date the event was written from
    (``written_from``) and is still an open task assigned to the agent; else the reason
    the event goes back."""
    if ticket is None or ticket.due_at != written_from:
        return PutBackReason.CHANGED_IN_ZENDESK
    if not is_open_task_status(ticket.type, ticket.status):
        return PutBackReason.NOT_OPEN_TASK
    if ticket.assignee_id != agent_id:
        return PutBackReason.REASSIGNED
    return None


def plan_calendar_change(
    written: WrittenEvent,
    event: EventNow | None,
    ticket: TicketState | None,
    settings: TwoWaySettings,
) -> CalendarDecision:
    """What to do about what the calendar reports (``event``; ``None`` if nothing) of an
    event zdcal wrote (``written``).

    ``ticket`` is the ticket as it is now (``None``: unknown). For a move
    (:func:`is_move`) it must be as Zendesk returns it now, so that a change made in
    Zendesk meanwhile wins; for a deletion the mirror's copy will do (it only fixes what
    keeps the task off)."""
    if event is None:
        return NoChange()
    if isinstance(event, DeletedEvent):
        return KeepOff(ticket)
    if not is_move(written, event):
        return NoChange()  # our own write, read back: no echo
    if not settings.two_way:
        return PutBack(PutBackReason.TWO_WAY_OFF)
    target = settings.target
    if target is None:
        return PutBack(PutBackReason.NOT_RECEIVING)
    written_from = written.due_at
    if written_from is None:
        return PutBack(PutBackReason.NO_KNOWN_DUE_DATE)
    conflict = zendesk_wins(written_from, ticket, settings.agent_id)
    if conflict is not None:
        return PutBack(conflict)
    new_due_at = moved_due_at(written_from, event.span.start, target.time_zone, settings.due_dates)
    if new_due_at == written_from:
        return PutBack(PutBackReason.SAME_DUE_DATE)
    return UpdateDueDate(
        due_at=new_due_at, pin=not event.span.all_day and settings.due_dates.exact_moment
    )


def refused_update() -> PutBack:
    """Zendesk refused the new due date (a closed ticket): Zendesk wins, the event goes
    back to what the rules say for the ticket as Zendesk now returns it."""
    return PutBack(PutBackReason.ZENDESK_REFUSED)


def entry_as_moved(
    account: AccountInfo,
    updated: TicketState,
    update: UpdateDueDate,
    written: WrittenEvent,
    event: HeldEvent,
    settings: TwoWaySettings,
) -> DesiredEntry | None:
    """After Zendesk took ``update``: the entry to record as zdcal's own write when the
    rules, for the ``updated`` ticket, place the event exactly where the agent put it
    (in the same calendar), so Zendesk's echo plans no write; ``None`` when they place it
    elsewhere (a timed move where due dates are dates only: the agent's own time of day
    on the new date), and the ticket must be planned again at once."""
    target = settings.target
    if target is None:
        return None
    pinned = update.pin and updated.due_at is not None
    desired = desired_entry(
        account, replace(updated, due_time_pinned=pinned), {target.agent_id: target}
    )
    if desired is None or desired.calendar_id != written.calendar_id:
        return None
    if EventSpan.parse(desired.event_start, desired.event_end) != event.span:
        return None
    return desired
