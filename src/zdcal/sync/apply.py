"""Applying tickets: mirror them, plan their calendar actions with the domain planner,
write each agent's actions through the calendar backend, record every outcome.

* Each outcome is recorded on its own; a failed write parks its ticket for a retry.
* An agent whose calendar access was lost is marked ``needs_reconnect`` and skipped, their
  entries kept so reconnecting repairs them; one agent's failure never holds back another.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarUnavailable,
    EventObject,
    FailureKind,
    WriteOutcome,
    WriteStatus,
)
from zdcal.domain import (
    Action,
    AgentTarget,
    Delete,
    DesiredEntry,
    DomainError,
    RecordedEntry,
    TicketState,
    Upsert,
    desired_entries,
    event_style_from_options,
    plan_for_tickets,
    still_kept_off,
)
from zdcal.store import (
    Agent,
    AgentStatus,
    CalendarEntry,
    MirroredTicket,
    Suppression,
)
from zdcal.sync.context import SyncContext
from zdcal.sync.tickets import gone, rule_input, worth_mirroring

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """One batch of tickets mirrored and planned, its calendar writes still to do."""

    ids: list[int]
    recorded: list[CalendarEntry]
    current: dict[int, MirroredTicket]
    agents: list[Agent]
    actions: list[Action]


def recorded_entry(entry: CalendarEntry) -> RecordedEntry:
    """What the planner needs to know of a stored calendar entry."""
    return RecordedEntry.of(entry)


def agent_target(
    agent: Agent, default_style: Mapping[str, Any] | None = None
) -> AgentTarget | None:
    """Where and how an agent receives events, or None when they cannot receive any.

    An agent who never chose a style gets the account's default style, if it has one."""
    if not agent.can_receive_events or agent.calendar_id is None:
        return None
    try:
        return AgentTarget(
            agent_id=agent.zendesk_user_id,
            calendar_id=agent.calendar_id,
            time_zone=agent.effective_time_zone,
            style=event_style_from_options(agent.style or default_style or {}),
        )
    except DomainError as exc:
        # Options are validated where they are entered; a bad stored value falls back
        # to the defaults rather than leaving the agent without events.
        log.warning("agent %s has unusable event options (%s); using defaults", agent.id, exc)
        return AgentTarget(
            agent_id=agent.zendesk_user_id, calendar_id=agent.calendar_id, time_zone="Etc/UTC"
        )


class TicketApplier:
    """Makes one account's calendars right for given tickets as they are now."""

    def __init__(self, context: SyncContext) -> None:
        self.context = context

    async def apply(self, tickets: Iterable[MirroredTicket], *, reread: bool = True) -> None:
        """Make the calendars right for these tickets as they are now.

        Tickets that are not open tasks, were never mirrored and have no event are
        skipped after one lookup: most of a busy account's changes are of that kind.
        ``reread`` counts the tickets as read from Zendesk in the report.
        """
        prepared = await self.prepare(tickets, reread=reread)
        if prepared is not None:
            await self.carry_out([prepared])

    async def sync_agent(self, zendesk_user_id: int) -> None:
        """Bring one agent's calendar in line from the mirror, without asking Zendesk.

        Used when an agent connects, reconnects or switches calendar.
        """
        ctx = self.context
        async with ctx.store.transaction() as tx:
            open_tasks = await tx.tickets.open_tasks_for_assignee(ctx.account.id, zendesk_user_id)
            entries = await tx.entries.for_agent(ctx.account.id, zendesk_user_id)
            ids = {t.ticket_id for t in open_tasks} | {e.ticket_id for e in entries}
            known = await tx.tickets.get_many(ctx.account.id, ids)
        await self.apply([known.get(tid) or gone(tid) for tid in sorted(ids)], reread=False)

    async def clear_agent(self, zendesk_user_id: int) -> int:
        """Delete every event zdcal wrote to an agent's calendars (they disconnect or leave).

        Returns how many could not be deleted (their entries are kept for a later try).
        """
        ctx = self.context
        async with ctx.store.transaction() as tx:
            entries = await tx.entries.for_agent(ctx.account.id, zendesk_user_id)
            agents = await tx.agents.for_account(ctx.account.id)
        actions: list[Action] = [Delete(recorded_entry(e)) for e in entries]
        held, failed = await self._execute(
            actions, entries, {a.zendesk_user_id: a for a in agents}
        )
        return len(held | failed)

    async def relevant(
        self, tickets: Sequence[MirroredTicket], *, also: Collection[int] = ()
    ) -> list[MirroredTicket]:
        """The tickets that concern the calendars: open tasks, and tickets the mirror or
        an entry knows (and those in ``also``). The rest need nothing: one lookup skips them.
        """
        candidates = [t for t in tickets if not worth_mirroring(t) and t.ticket_id not in also]
        if not candidates:
            return list(tickets)
        ctx = self.context
        async with ctx.store.transaction() as tx:
            ids = [t.ticket_id for t in candidates]
            known = {e.ticket_id for e in await tx.entries.for_tickets(ctx.account.id, ids)}
            known.update(await tx.tickets.get_many(ctx.account.id, ids))
        return [
            t for t in tickets
            if worth_mirroring(t) or t.ticket_id in also or t.ticket_id in known
        ]

    async def prepare(
        self, tickets: Iterable[MirroredTicket], *, reread: bool = True
    ) -> Prepared | None:
        """Mirror the tickets and plan their calendar actions (no calendar call yet)."""
        ctx = self.context
        latest: dict[int, MirroredTicket] = {}
        for ticket in tickets:
            latest[ticket.ticket_id] = ticket
        if reread:
            ctx.report.tickets_read += len(latest)
            ctx.report.progressed()
        if not latest:
            return None
        async with ctx.store.transaction() as tx:
            recorded = await tx.entries.for_tickets(ctx.account.id, latest)
            with_entries = {e.ticket_id for e in recorded}
            before = await tx.tickets.get_many(ctx.account.id, latest)
            ids = [
                tid for tid, t in latest.items()
                if tid in with_entries or tid in before or worth_mirroring(t)
            ]
            if not ids:
                return None
            keep = [
                latest[tid] for tid in ids if worth_mirroring(latest[tid]) or tid in with_entries
            ]
            await tx.tickets.upsert_many(ctx.account.id, keep)
            # The mirror keeps the newest version seen: plan from it where it has one.
            current = await tx.tickets.get_many(ctx.account.id, [t.ticket_id for t in keep])
            await tx.tickets.delete_many(
                ctx.account.id, [tid for tid in ids if tid in before and tid not in current]
            )
            agents = await tx.agents.for_account(ctx.account.id)
            suppressed = await tx.suppressions.for_tickets(ctx.account.id, ids)
        targets = {
            a.zendesk_user_id: t
            for a in agents
            if (t := agent_target(a, ctx.account.default_style)) is not None
        }
        pins = {e.ticket_id: e.pinned_due_at for e in recorded if e.pinned_due_at is not None}
        states = [rule_input(current.get(tid) or latest[tid], pins.get(tid)) for tid in ids]
        desired = await self._without_suppressed(
            desired_entries(ctx.info, states, targets), states, suppressed
        )
        actions = plan_for_tickets(ids, desired, [recorded_entry(e) for e in recorded])
        return Prepared(ids, recorded, current, agents, actions)

    async def carry_out(self, prepared: Sequence[Prepared]) -> None:
        """Write the planned actions of one or more batches of tickets, all agents' writes
        together (so each agent's batches are full), then settle failures and the mirror."""
        ctx = self.context
        actions = [a for p in prepared for a in p.actions]
        recorded = [e for p in prepared for e in p.recorded]
        agents = {a.zendesk_user_id: a for a in prepared[-1].agents}
        held, failed = await self._execute(actions, recorded, agents)
        async with ctx.store.transaction() as tx:
            for batch in prepared:
                ids, current = batch.ids, batch.current
                await tx.failures.clear(
                    ctx.account.id, [tid for tid in ids if tid not in held and tid not in failed]
                )
                # Tickets that left the mirror's scope and have no entry left are forgotten.
                leaving = [
                    tid for tid in ids if tid in current and not worth_mirroring(current[tid])
                ]
                if leaving:
                    still = {
                        e.ticket_id
                        for e in await tx.entries.for_tickets(ctx.account.id, leaving)
                    }
                    await tx.tickets.delete_many(
                        ctx.account.id, [tid for tid in leaving if tid not in still]
                    )
        ctx.report.progressed()

    async def _without_suppressed(
        self,
        desired: list[DesiredEntry],
        states: Sequence[TicketState],
        suppressed: Sequence[Suppression],
    ) -> list[DesiredEntry]:
        """Leave out events agents deleted from their calendars while they stay off
        (:func:`zdcal.domain.still_kept_off`); forget suppressions that lapsed."""
        if not suppressed:
            return desired
        by_id = {s.ticket_id: s for s in states}
        holding: set[tuple[int, int]] = set()
        lapsed: list[Suppression] = []
        for item in suppressed:
            if still_kept_off(item, by_id.get(item.ticket_id)):
                holding.add((item.ticket_id, item.agent_id))
            else:
                lapsed.append(item)
        if lapsed:
            ctx = self.context
            async with ctx.store.transaction() as tx:
                for item in lapsed:
                    await tx.suppressions.remove(ctx.account.id, item.ticket_id, item.agent_id)
        return [d for d in desired if (d.ticket_id, d.agent_id) not in holding]

    async def _execute(
        self,
        actions: Sequence[Action],
        recorded: Sequence[CalendarEntry],
        agents: dict[int, Agent],
    ) -> tuple[set[int], set[int]]:
        """Carry out actions per agent, concurrently.

        Returns the tickets held back (their agent must reconnect) and those that failed.
        """
        if not actions:
            return set(), set()
        existing = {(e.ticket_id, e.agent_id, e.calendar_id) for e in recorded}
        stored = {
            (e.agent_id, e.calendar_id, e.event_id): EventObject(
                e.object_href, e.object_etag, e.event_start, e.event_end
            )
            for e in recorded
            if e.object_href is not None
        }
        by_agent: dict[int, list[Action]] = defaultdict(list)
        for action in actions:
            by_agent[action.entry.agent_id].append(action)
        held: set[int] = set()
        failed: set[int] = set()
        results = await asyncio.gather(
            *(
                self._execute_for_agent(
                    agents.get(uid), group, existing,
                    {(c, e): o for (a, c, e), o in stored.items() if a == uid},
                )
                for uid, group in by_agent.items()
            )
        )
        for agent_held, agent_failed in results:
            held |= agent_held
            failed |= agent_failed
        return held, failed

    async def _execute_for_agent(
        self,
        agent: Agent | None,
        actions: list[Action],
        existing: set[tuple[int, int, str]],
        stored: dict[tuple[str, str], EventObject],
    ) -> tuple[set[int], set[int]]:
        ctx = self.context
        tickets = {a.entry.ticket_id for a in actions}
        if agent is None or agent.status is AgentStatus.DISCONNECTED or not agent.has_credentials:
            # Nobody can reach that calendar any more: forget what was recorded there.
            async with ctx.store.transaction() as tx:
                await tx.entries.delete_many(
                    ctx.account.id, [a.entry for a in actions if isinstance(a, Delete)]
                )
            return set(), set()
        if agent.status is AgentStatus.NEEDS_RECONNECT:
            return tickets, set()  # entries kept: reconnecting repairs them
        async with ctx.agent_slots:
            try:
                outcomes = await ctx.calendars.for_agent(agent).apply(actions, stored)
            except CalendarAuthorizationLost as exc:
                log.warning("agent %s must reconnect their calendar: %s", agent.id, exc)
                ctx.report.agents_needing_reconnect += 1
                async with ctx.store.transaction() as tx:
                    await tx.agents.set_status(
                        agent.id, AgentStatus.NEEDS_RECONNECT, "calendar access was lost"
                    )
                return tickets, set()
            except CalendarUnavailable as exc:
                outcome = WriteOutcome(WriteStatus.RETRY, str(exc), FailureKind.UNAVAILABLE)
                outcomes = [outcome] * len(actions)
        return set(), await self._record(actions, outcomes, existing)

    async def _record(
        self,
        actions: Sequence[Action],
        outcomes: Sequence[WriteOutcome],
        existing: set[tuple[int, int, str]],
    ) -> set[int]:
        """Record each outcome; returns the tickets whose write failed."""
        ctx = self.context
        report = ctx.report
        written: list[DesiredEntry] = []
        objects: list[tuple[DesiredEntry, EventObject]] = []
        removed: list[RecordedEntry] = []
        failures: list[tuple[Action, WriteOutcome]] = []
        for action, outcome in zip(actions, outcomes, strict=True):
            entry = action.entry
            if outcome.status is not WriteStatus.DONE:
                failures.append((action, outcome))
            elif isinstance(action, Upsert):
                written.append(action.entry)
                if outcome.stored_as is not None:
                    objects.append((action.entry, outcome.stored_as))
                if (entry.ticket_id, entry.agent_id, entry.calendar_id) in existing:
                    report.events_updated += 1
                else:
                    report.events_created += 1
            else:
                removed.append(action.entry)
                report.events_deleted += 1
        async with ctx.store.transaction() as tx:
            await tx.entries.upsert_many(ctx.account.id, written)
            await tx.entries.set_objects(
                ctx.account.id, [(entry, obj.href, obj.etag) for entry, obj in objects]
            )
            await tx.entries.delete_many(ctx.account.id, removed)
            for action, outcome in failures:
                await tx.failures.record(
                    ctx.account.id, action.entry.ticket_id,
                    outcome.reason or "calendar write failed",
                    agent_id=action.entry.agent_id, kind=outcome.kind.value,
                )
        report.events_failed += len(failures)
        return {action.entry.ticket_id for action, _ in failures}
