"""Calendar → Zendesk: an agent moved or deleted a task's event in their calendar.

The rules (also shown to agents on their page) are decided by the domain's two-way
planner, :mod:`zdcal.domain.calendar_changes`: no echo, a deleted event keeps the task
off, a move updates the due date as the account's due-date reading reads it back
(:mod:`zdcal.domain.moves`), and Zendesk wins every conflict. This module only reads (the
agent's events changed since the last read, the entries zdcal recorded, the ticket in
the mirror and, for a move, in Zendesk), asks the planner and carries out its decision:

* keep off: forget the entry and record a suppression (the one-way plan honours it);
* put back: mark the entry as not matching any body, so the one-way plan rewrites the
  event from the rules (or deletes it, for a ticket that wants none);
* update the due date: write it to Zendesk (a refusal puts the event back), then record
  the moved event as zdcal's own write where the rules place it there, so Zendesk's echo
  plans no calendar write.

Of ``AccountSync`` it uses only :class:`TwoWayHost`. Moves of one ticket are held to
Zendesk's update limit (:class:`TicketUpdateBudget`); a move over it waits for the next read.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from zdcal.calendars.base import AgentCalendar, CalendarConnector, ManagedEvent
from zdcal.clock import Clock
from zdcal.domain import (
    AccountInfo,
    CalendarDecision,
    DeletedEvent,
    EventNow,
    EventSpan,
    HeldEvent,
    KeepOff,
    NoChange,
    PutBack,
    TicketState,
    TwoWaySettings,
    UpdateDueDate,
    WrittenEvent,
    entry_as_moved,
    is_move,
    plan_calendar_change,
    refused_update,
    two_way_in_effect,
)
from zdcal.store import Account, Agent, CalendarEntry, MirroredTicket, Store
from zdcal.sync.engine import agent_target
from zdcal.sync.tickets import gone, observed, rule_input
from zdcal.zendesk import ZendeskClient
from zdcal.zendesk.errors import Invalid, NotFound

log = logging.getLogger(__name__)

# Changes are read from a little before the last read: clocks differ between machines.
READ_OVERLAP = timedelta(minutes=2)
# Zendesk limits how often one ticket may be updated; zdcal stays well under it.
TICKET_UPDATES = 10
TICKET_UPDATE_WINDOW = 600.0
MOVED = "moved-in-calendar"  # an entry's hash that matches no body: the next plan rewrites


class TwoWayHost(Protocol):
    """All that calendar moves use of an account's sync (``zdcal.sync.engine.AccountSync``
    provides it): the account and its rules' inputs, the store, the two clients and the
    clock, read; and ``apply``, the one-way sync of tickets, called to put events back."""

    @property
    def account(self) -> Account: ...
    @property
    def info(self) -> AccountInfo: ...
    @property
    def store(self) -> Store: ...
    @property
    def zendesk(self) -> ZendeskClient: ...
    @property
    def calendars(self) -> CalendarConnector: ...
    @property
    def clock(self) -> Clock: ...

    async def apply(self, tickets: Iterable[MirroredTicket], *, reread: bool = True) -> None:
        """Make the calendars right for these tickets as they are now."""


@dataclass
class TicketUpdateBudget:
    """At most ``TICKET_UPDATES`` due-date updates per ticket per ``TICKET_UPDATE_WINDOW``."""

    updates: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def take(self, ticket_id: int) -> bool:
        now = time.monotonic()
        recent = self.updates[ticket_id]
        while recent and recent[0] < now - TICKET_UPDATE_WINDOW:
            recent.popleft()
        if len(recent) >= TICKET_UPDATES:
            return False
        recent.append(now)
        return True


@dataclass
class MoveReport:
    due_dates_updated: int = 0
    put_back: int = 0
    suppressed: int = 0
    deferred: int = 0


async def read_calendar_changes(
    sync: TwoWayHost, agent: Agent, budget: TicketUpdateBudget
) -> MoveReport:
    """Read the agent's changed events since the last read and act on each."""
    report = MoveReport()
    if not agent.can_receive_events:
        return report
    started = sync.clock.now()
    calendar = sync.calendars.for_agent(agent)
    changed = await _changed_events(sync, agent, calendar)
    await _remember_versions(sync, changed)
    settings = _settings(sync, agent)
    deferred = False
    for event, entry in changed:
        now, written = _event_now(event), _written(entry)
        moved = is_move(written, now)
        if not moved and not isinstance(now, DeletedEvent):
            continue  # what zdcal wrote, read back
        if moved and not budget.take(entry.ticket_id):
            deferred = True
            report.deferred += 1
            continue
        change = await _read_ticket(sync, entry, written, now, moved=moved)
        decision = plan_calendar_change(change.written, change.event, change.state, settings)
        await _carry_out(sync, change, decision, settings, report)
    if not deferred:
        read_state = calendar.read_state()
        async with sync.store.transaction() as tx:
            await tx.agents.set_events_read_at(agent.id, started)
            if read_state is not None:
                await tx.agents.set_read_state(agent.id, read_state)
    return report


# Reading -----------------------------------------------------------------------------


async def _changed_events(
    sync: TwoWayHost, agent: Agent, calendar: AgentCalendar
) -> list[tuple[ManagedEvent, CalendarEntry]]:
    """The agent's events changed since the last read that zdcal recorded writing (since
    ``events_read_at``, or where a polling backend's read state says it stopped)."""
    async with sync.store.transaction() as tx:
        entries = await tx.entries.for_agent(sync.account.id, agent.zendesk_user_id)
    by_event = {(e.calendar_id, e.event_id): e for e in entries}
    since = agent.events_read_at - READ_OVERLAP if agent.events_read_at else None
    changed: list[tuple[ManagedEvent, CalendarEntry]] = []
    calendar_ids = sorted({e.calendar_id for e in entries})
    if calendar_ids:
        async for event in calendar.managed_events(
            calendar_ids, last_modified=since, recorded=list(by_event)
        ):
            entry = by_event.get((event.calendar_id, event.event_id))
            if entry is not None:
                changed.append((event, entry))
    return changed


async def _remember_versions(
    sync: TwoWayHost, changed: list[tuple[ManagedEvent, CalendarEntry]]
) -> None:
    """Record the version the calendar now holds of each changed event (backends that
    write conditionally): whatever the rules decide, zdcal's next write of it then
    overwrites (or re-creates) exactly what was read, not an older version."""
    fresh = [
        (entry, event.stored_as)
        for event, entry in changed
        if event.stored_as is not None
        and (event.stored_as.href, event.stored_as.etag) != (entry.object_href, entry.object_etag)
    ]
    if fresh:
        async with sync.store.transaction() as tx:
            await tx.entries.set_objects(
                sync.account.id, [(entry, obj.href, obj.etag) for entry, obj in fresh]
            )


def _settings(sync: TwoWayHost, agent: Agent) -> TwoWaySettings:
    return TwoWaySettings(
        agent_id=agent.zendesk_user_id,
        two_way=two_way_in_effect(agent.two_way, sync.account.two_way_default),
        target=agent_target(agent, sync.account.default_style),
        due_dates=sync.info.due_dates,
    )


def _event_now(event: ManagedEvent) -> EventNow:
    if event.deleted:
        return DeletedEvent()
    return HeldEvent(EventSpan.parse(event.start, event.end))


def _written(entry: CalendarEntry) -> WrittenEvent:
    """What the entry says zdcal wrote; the due date it was written from is added later."""
    span = None
    if entry.event_start is not None and entry.event_end is not None:
        span = EventSpan.parse(entry.event_start, entry.event_end)
    return WrittenEvent(calendar_id=entry.calendar_id, span=span, due_at=None)


@dataclass(frozen=True)
class _Change:
    """One changed event, with what the planner needs of its ticket."""

    entry: CalendarEntry
    written: WrittenEvent  # with the due date the event was written from
    event: EventNow
    ticket: MirroredTicket | None  # as Zendesk has it now (a move), else as mirrored

    @property
    def state(self) -> TicketState | None:
        return rule_input(self.ticket) if self.ticket is not None else None


async def _read_ticket(
    sync: TwoWayHost, entry: CalendarEntry, written: WrittenEvent, event: EventNow,
    *, moved: bool,
) -> _Change:
    """Read the ticket of a changed event: the mirror's copy (what the event was written
    from) and, for a move, Zendesk's, so that a change made there meanwhile wins."""
    ticket_id = entry.ticket_id
    in_zendesk = None
    if moved:
        try:
            in_zendesk = observed(await sync.zendesk.show_ticket(ticket_id))
        except NotFound:
            in_zendesk = gone(ticket_id)
    async with sync.store.transaction() as tx:
        mirrored = (await tx.tickets.get_many(sync.account.id, [ticket_id])).get(ticket_id)
    written = replace(written, due_at=mirrored.due_at if mirrored is not None else None)
    return _Change(entry, written, event, in_zendesk or mirrored)


# Carrying out ------------------------------------------------------------------------


async def _carry_out(
    sync: TwoWayHost,
    change: _Change,
    decision: CalendarDecision,
    settings: TwoWaySettings,
    report: MoveReport,
) -> None:
    entry, ticket = change.entry, change.ticket
    match decision:
        case KeepOff():
            await _keep_off(sync, entry, decision)
            report.suppressed += 1
        case PutBack():
            assert ticket is not None  # a move: read from Zendesk
            await _put_back(sync, entry, decision, ticket)
            report.put_back += 1
        case UpdateDueDate():
            if await _update_due_date(sync, change, decision, settings):
                report.due_dates_updated += 1
            else:
                report.put_back += 1
        case NoChange():
            pass


async def _keep_off(sync: TwoWayHost, entry: CalendarEntry, decision: KeepOff) -> None:
    """The agent deleted the event: keep the task off this calendar while it is as it was."""
    held_to = decision.ticket
    async with sync.store.transaction() as tx:
        await tx.entries.delete(sync.account.id, entry)
        if held_to is not None:
            await tx.suppressions.add(
                sync.account.id, entry.ticket_id, entry.agent_id,
                due_at=held_to.due_at, assignee_id=held_to.assignee_id, type=held_to.type,
            )
    log.info("agent %s deleted the event of ticket %s: kept off their calendar",
             entry.agent_id, entry.ticket_id)


async def _put_back(
    sync: TwoWayHost, entry: CalendarEntry, decision: PutBack, ticket: MirroredTicket
) -> None:
    """Put the calendar back to the rules: forget what we wrote so the plan rewrites it."""
    log.info("the moved event of ticket %s goes back: %s", entry.ticket_id, decision.reason)
    async with sync.store.transaction() as tx:
        await tx.entries.upsert(sync.account.id, replace(entry, content_hash=MOVED))
    await sync.apply([ticket])


async def _update_due_date(
    sync: TwoWayHost, change: _Change, decision: UpdateDueDate, settings: TwoWaySettings
) -> bool:
    """Write the new due date to Zendesk; True if it took it, else the event is put back."""
    entry, event = change.entry, change.event
    assert isinstance(event, HeldEvent)  # only a move updates a due date
    ticket_id = entry.ticket_id
    try:
        updated = observed(await sync.zendesk.update_ticket(
            ticket_id, {"due_at": decision.due_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        ))
    except Invalid as exc:  # e.g. "closed prevents ticket update"
        log.info("Zendesk refused the due date of ticket %s: %s", ticket_id, exc)
        fresh = observed(await sync.zendesk.show_ticket(ticket_id))
        await _put_back(sync, entry, refused_update(), fresh)
        return False
    # No echo: record the moved event as what zdcal wrote, where the rules put it there.
    as_moved = entry_as_moved(
        sync.info, rule_input(updated), decision, change.written, event, settings
    )
    async with sync.store.transaction() as tx:
        await tx.tickets.upsert_many(sync.account.id, [updated])
        if as_moved is not None:
            await tx.entries.upsert(sync.account.id, as_moved)
        if decision.pin:
            await tx.entries.set_pin(sync.account.id, entry, updated.due_at)
    if as_moved is None:  # the rules place the event elsewhere on the new day: say so at once
        await sync.apply([updated], reread=False)
    return True
