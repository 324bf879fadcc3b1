"""Calendar → Zendesk: an agent moved or deleted a task's event in their calendar.

Rules (also shown to agents on their page):

* A moved event changes the task's due date in Zendesk, written so that the account's
  due-date reading gives the new day back (``zdcal.domain.moves``): all-day events to the
  new day at the task's time of day in the reading's zone; timed events to the exact new
  start, or, where due dates are read as dates only (UTC, account zone), to the new day.
* Zendesk wins: if the ticket's due date changed in Zendesk since the event was written,
  or the ticket is no longer an open task of this agent, or Zendesk refuses the update
  (a closed ticket), the calendar is put back to what the rules say.
* A deleted event neither deletes nor solves the ticket: the task stays off that
  calendar until its due date, assignee or type changes.
* No echo: after zdcal updates a due date, it records the moved event as what it wrote,
  so the resulting Zendesk notification causes no calendar write. Events zdcal wrote
  itself are never taken for moves: a move is a start or end different from the one
  zdcal last wrote.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from datetime import timedelta

from zdcal.calendars.base import ManagedEvent
from zdcal.domain import (
    desired_entry,
    is_open_task_status,
    moved_due_at,
    same_event_time,
    two_way_in_effect,
)
from zdcal.store import Agent, CalendarEntry, MirroredTicket
from zdcal.sync.engine import AccountSync, agent_target
from zdcal.sync.tickets import gone, observed, rule_input
from zdcal.zendesk.errors import Invalid, NotFound

log = logging.getLogger(__name__)

# Changes are read from a little before the last read: clocks differ between machines.
READ_OVERLAP = timedelta(minutes=2)
# Zendesk limits how often one ticket may be updated; zdcal stays well under it.
TICKET_UPDATES = 10
TICKET_UPDATE_WINDOW = 600.0
MOVED = "moved-in-calendar"  # an entry's hash that matches no body: the next plan rewrites


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
    sync: AccountSync, agent: Agent, budget: TicketUpdateBudget
) -> MoveReport:
    """Read the agent's changed events since the last read and act on each."""
    report = MoveReport()
    if not agent.can_receive_events:
        return report
    started = sync.clock.now()
    async with sync.store.transaction() as tx:
        entries = await tx.entries.for_agent(sync.account.id, agent.zendesk_user_id)
    by_event = {(e.calendar_id, e.event_id): e for e in entries}
    since = agent.events_read_at - READ_OVERLAP if agent.events_read_at else None
    calendar = sync.calendars.for_agent(agent)
    changed: list[tuple[ManagedEvent, CalendarEntry]] = []
    calendar_ids = sorted({e.calendar_id for e in entries})
    if calendar_ids:
        async for event in calendar.managed_events(calendar_ids, last_modified=since):
            entry = by_event.get((event.calendar_id, event.event_id))
            if entry is not None:
                changed.append((event, entry))
    deferred = False
    for event, entry in changed:
        if event.deleted:
            await _suppress(sync, entry)
            report.suppressed += 1
        elif not (same_event_time(event.start, entry.event_start)
                  and same_event_time(event.end, entry.event_end)):
            if not budget.take(entry.ticket_id):
                deferred = True
                report.deferred += 1
                continue
            if await _apply_move(sync, agent, event, entry):
                report.due_dates_updated += 1
            else:
                report.put_back += 1
    if not deferred:
        async with sync.store.transaction() as tx:
            await tx.agents.set_events_read_at(agent.id, started)
    return report


async def _suppress(sync: AccountSync, entry: CalendarEntry) -> None:
    """The agent deleted the event: keep the task off this calendar while it is as it was."""
    async with sync.store.transaction() as tx:
        known = (await tx.tickets.get_many(sync.account.id, [entry.ticket_id])).get(
            entry.ticket_id
        )
        await tx.entries.delete(sync.account.id, entry)
        if known is not None:
            await tx.suppressions.add(
                sync.account.id, entry.ticket_id, entry.agent_id,
                due_at=known.due_at, assignee_id=known.assignee_id, type=known.type,
            )
    log.info("agent %s deleted the event of ticket %s: kept off their calendar",
             entry.agent_id, entry.ticket_id)


async def _apply_move(
    sync: AccountSync, agent: Agent, event: ManagedEvent, entry: CalendarEntry
) -> bool:
    """Update the ticket's due date for a move, or put the event back. True if updated."""
    ticket_id = entry.ticket_id
    try:
        fresh = observed(await sync.zendesk.show_ticket(ticket_id))
    except NotFound:
        fresh = gone(ticket_id)
    async with sync.store.transaction() as tx:
        basis = (await tx.tickets.get_many(sync.account.id, [ticket_id])).get(ticket_id)
    target = agent_target(agent, sync.account.default_style)
    basis_due = basis.due_at if basis is not None else None
    acceptable = (
        two_way_in_effect(agent.two_way, sync.account.two_way_default)
        and target is not None
        and basis_due is not None
        and fresh.due_at == basis_due  # else Zendesk changed it meanwhile: Zendesk wins
        and is_open_task_status(fresh.type, fresh.status)
        and fresh.assignee_id == agent.zendesk_user_id
    )
    new_due = (
        moved_due_at(basis_due, event.start, target.time_zone, sync.info.due_dates)
        if acceptable and target is not None and basis_due is not None else None
    )
    # Same due_at: a timed event moved within its day where due dates are dates only.
    if new_due is not None and new_due != basis_due:
        try:
            updated = observed(await sync.zendesk.update_ticket(
                ticket_id, {"due_at": new_due.strftime("%Y-%m-%dT%H:%M:%SZ")}
            ))
        except Invalid as exc:  # e.g. "closed prevents ticket update"
            log.info("Zendesk refused the due date of ticket %s: %s", ticket_id, exc)
            fresh = observed(await sync.zendesk.show_ticket(ticket_id))
        else:
            await _absorb(sync, agent, event, entry, updated)
            return True
    # Put the calendar back to the rules: forget what we wrote so the plan rewrites it.
    async with sync.store.transaction() as tx:
        await tx.entries.upsert(sync.account.id, replace(entry, content_hash=MOVED))
    await sync.apply([fresh])
    return False


async def _absorb(
    sync: AccountSync, agent: Agent, event: ManagedEvent, entry: CalendarEntry,
    updated_ticket: MirroredTicket,
) -> None:
    """Record the moved event as what zdcal wrote, so Zendesk's echo changes nothing.

    A timed event keeps the time it was dropped at (a pin) only where due_at is an exact
    moment; in the date-only readings it is rewritten at the agent's time on the new day."""
    pinned = len(event.start) > 10 and sync.info.due_dates.exact_moment
    target = agent_target(agent, sync.account.default_style)
    assert target is not None
    state = rule_input(updated_ticket, updated_ticket.due_at if pinned else None)
    desired = desired_entry(sync.info, state, {agent.zendesk_user_id: target})
    as_moved = desired is not None and desired.calendar_id == entry.calendar_id and (
        same_event_time(desired.event_start, event.start)
        and same_event_time(desired.event_end, event.end)
    )
    async with sync.store.transaction() as tx:
        await tx.tickets.upsert_many(sync.account.id, [updated_ticket])
        if as_moved and desired is not None:
            await tx.entries.upsert(sync.account.id, desired)
        if pinned:
            await tx.entries.set_pin(sync.account.id, entry, updated_ticket.due_at)
    if not as_moved:  # the rules place the event elsewhere on the new day: say so at once
        await sync.apply([updated_ticket], reread=False)
