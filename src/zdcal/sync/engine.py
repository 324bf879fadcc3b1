"""Keeps one Zendesk account's open tasks in its agents' calendars.

The flow is one way: a change feed yields tickets; the domain rules say which event
each ticket wants; the planner compares that with what the store recorded; the
calendar backend carries out the actions; each outcome is recorded one by one.

* A Zendesk notification is only a hint: the truth is always re-read from Zendesk.
* The export cursor is saved only after every ticket of its page was applied or parked
  in the retry list, so a crash or an error never skips a change.
* One agent's broken authorization or failing calendar never holds back the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarConnector,
    CalendarUnavailable,
    FailureKind,
    WriteOutcome,
    WriteStatus,
)
from zdcal.clock import Clock
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
    ticket_id_of_event,
)
from zdcal.store import (
    Account,
    Agent,
    AgentStatus,
    BackfillState,
    CalendarEntry,
    MirroredTicket,
    Store,
    Suppression,
    SyncCursor,
)
from zdcal.sync.due_dates import account_info, refresh_account_time_zone
from zdcal.sync.report import SyncReport
from zdcal.sync.tickets import gone, observed, rule_input, worth_mirroring
from zdcal.webhook_urls import cronofy_receiver_url
from zdcal.zendesk import ZendeskClient
from zdcal.zendesk.errors import Invalid as ZendeskInvalid
from zdcal.zendesk.errors import ZendeskError

log = logging.getLogger(__name__)

OPEN_TASKS_QUERY = "ticket_type:task status<solved"
# Zendesk serves the incremental export only for times at least a minute old.
EXPORT_MIN_AGE = timedelta(seconds=61)
# Search lags behind changes by minutes: the export after a backfill starts this much earlier.
SEARCH_INDEX_MARGIN = timedelta(minutes=10)
# Open tasks read before they are applied together during a backfill.
BACKFILL_CHUNK = 10_000
# Tickets of the incremental export that concern the calendars, held across pages before
# they are applied together: a busy export brings each agent a task or two per page, and
# applying per page would send each agent one small calendar batch per page (measured in
# bench/sweep_cost.py: 3 ms of CPU per task, against 0.1 ms with full batches).
EXPORT_CHUNK = 5_000


@dataclass
class _Prepared:
    """One batch of tickets mirrored and planned, its calendar writes still to do."""

    ids: list[int]
    recorded: list[CalendarEntry]
    current: dict[int, MirroredTicket]
    agents: list[Agent]
    actions: list[Action]


def _recorded(entry: CalendarEntry) -> RecordedEntry:
    return RecordedEntry(
        ticket_id=entry.ticket_id,
        agent_id=entry.agent_id,
        calendar_id=entry.calendar_id,
        event_id=entry.event_id,
        content_hash=entry.content_hash,
    )


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


class AccountSync:
    """Everything that keeps one account's calendars right. Not safe to run twice at once
    for the same account: callers hold the account's lock."""

    def __init__(
        self,
        store: Store,
        account: Account,
        zendesk: ZendeskClient,
        calendars: CalendarConnector,
        clock: Clock,
        report: SyncReport | None = None,
        *,
        agent_concurrency: int = 32,
        public_url: str | None = None,
    ) -> None:
        self.store = store
        # Where calendar push notifications reach zdcal (None: no channels are made).
        self.public_url = public_url.rstrip("/") if public_url else None
        self.account = account
        self.info = account_info(account)
        self.zendesk = zendesk
        self.calendars = calendars
        self.clock = clock
        self.report = report or SyncReport()
        self._agent_slots = asyncio.Semaphore(agent_concurrency)

    # Feeds ---------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Read every change since the last sweep (a backfill the first time)."""
        async with self.store.transaction() as tx:
            cursor = await tx.cursors.get(self.account.id)
            account = await tx.accounts.get(self.account.id)
        if account is None:
            raise LookupError(f"account {self.account.id} was removed")
        if cursor is None or account.backfill.state is not BackfillState.DONE:
            await self.backfill()
            return
        await self._follow_export(cursor)

    async def backfill(self) -> None:
        """Read every open task (search export), then hand over to the incremental export.

        The export's start time is taken before the backfill begins, less the search
        index lag, so whatever changes meanwhile is read again by the next sweep.
        """
        started = self.clock.now()
        async with self.store.transaction() as tx:
            await tx.accounts.set_backfill_state(self.account.id, BackfillState.RUNNING)
        seen: set[int] = set()
        # Each page is mirrored and planned while the next one is read; the calendar
        # writes of many pages go out together, so each agent's batches are full (50
        # writes per request) instead of a few writes per agent per page.
        planning: list[asyncio.Task[_Prepared | None]] = []
        planned_tickets = 0
        async for page in self.zendesk.search_export(OPEN_TASKS_QUERY):
            seen.update(t.id for t in page.tickets)
            planning.append(asyncio.create_task(self._prepare([observed(t) for t in page.tickets])))
            planned_tickets += len(page.tickets)
            if planned_tickets >= BACKFILL_CHUNK:
                await self._carry_out_planned(planning)
                planning, planned_tickets = [], 0
        await self._carry_out_planned(planning)
        # Events written earlier for tickets the search no longer finds (solved, deleted,
        # retyped while zdcal was not following): re-read those from Zendesk.
        async with self.store.transaction() as tx:
            recorded = await tx.entries.ticket_ids(self.account.id)
        await self.refresh(sorted(recorded - seen))
        async with self.store.transaction() as tx:
            await tx.cursors.set(self.account.id, "", start_time=started - SEARCH_INDEX_MARGIN)
            await tx.accounts.set_backfill_state(self.account.id, BackfillState.DONE)

    async def _carry_out_planned(self, planning: list[asyncio.Task[_Prepared | None]]) -> None:
        prepared = [p for p in await asyncio.gather(*planning) if p is not None]
        if prepared:
            await self._carry_out(prepared)

    async def _follow_export(self, saved: SyncCursor) -> None:
        cursor = saved.cursor or None
        if cursor is None and saved.start_time > self.clock.now() - EXPORT_MIN_AGE:
            return  # too recent for Zendesk to serve yet; the next sweep will
        # Tickets read but not applied yet. The cursor is saved only when this is empty.
        pending: dict[int, MirroredTicket] = {}
        while True:
            try:
                if cursor is None:
                    page = await self.zendesk.incremental_tickets_page(start_time=saved.start_time)
                else:
                    page = await self.zendesk.incremental_tickets_page(cursor=cursor)
            except ZendeskInvalid:
                if cursor is None:
                    raise
                # A cursor Zendesk no longer accepts: start over in full rather than guess.
                log.warning("account %s: export cursor refused; resyncing", self.account.id)
                async with self.store.transaction() as tx:
                    await tx.cursors.clear(self.account.id)
                    await tx.accounts.set_backfill_state(
                        self.account.id, BackfillState.NOT_STARTED
                    )
                await self.backfill()
                return
            tickets = [observed(t) for t in page.tickets]
            self.report.tickets_read += len(tickets)
            self.report.progressed()
            # A pending ticket is kept whatever its new version is: that version must
            # replace the pending one even if it no longer concerns the calendars.
            pending.update(
                (t.ticket_id, t) for t in await self._relevant(tickets, also=pending.keys())
            )
            last_page = page.end_of_stream or not page.after_cursor
            if last_page or len(pending) >= EXPORT_CHUNK:
                await self.apply(pending.values(), reread=False)
                pending = {}
            if page.after_cursor:
                cursor = page.after_cursor
                if not pending:
                    async with self.store.transaction() as tx:
                        await tx.cursors.set(self.account.id, cursor, start_time=saved.start_time)
            if last_page:
                return

    async def refresh(self, ticket_ids: Sequence[int]) -> None:
        """Re-read tickets from Zendesk (show_many) and apply them; missing ones are gone."""
        if not ticket_ids:
            return
        found = {t.id: observed(t) for t in await self.zendesk.show_many_tickets(ticket_ids)}
        await self.apply([found.get(tid) or gone(tid) for tid in ticket_ids])

    async def retry_failed(self) -> None:
        """Apply again the tickets whose earlier attempt failed and whose retry time came."""
        async with self.store.transaction() as tx:
            due = [f.ticket_id for f in await tx.failures.due(self.account.id)]
            known = await tx.tickets.get_many(self.account.id, due)
        if not due:
            return
        await self.apply([known[tid] for tid in due if tid in known], reread=False)
        await self.refresh([tid for tid in due if tid not in known])
        # A retried ticket either synced (cleared) or failed again (retry time moved on);
        # one still due needed nothing at all (no event wanted, none recorded): forget it,
        # or the scheduler would retry it on every tick.
        async with self.store.transaction() as tx:
            still_due = {f.ticket_id for f in await tx.failures.due(self.account.id)}
            await tx.failures.clear(self.account.id, [tid for tid in due if tid in still_due])

    async def sync_agent(self, zendesk_user_id: int) -> None:
        """Bring one agent's calendar in line from the mirror, without asking Zendesk.

        Used when an agent connects, reconnects or switches calendar.
        """
        async with self.store.transaction() as tx:
            open_tasks = await tx.tickets.open_tasks_for_assignee(self.account.id, zendesk_user_id)
            entries = await tx.entries.for_agent(self.account.id, zendesk_user_id)
            ids = {t.ticket_id for t in open_tasks} | {e.ticket_id for e in entries}
            known = await tx.tickets.get_many(self.account.id, ids)
        await self.apply([known.get(tid) or gone(tid) for tid in sorted(ids)], reread=False)

    async def clear_agent(self, zendesk_user_id: int) -> int:
        """Delete every event zdcal wrote to an agent's calendars (they disconnect or leave).

        Returns how many could not be deleted (their entries are kept for a later try).
        """
        async with self.store.transaction() as tx:
            entries = await tx.entries.for_agent(self.account.id, zendesk_user_id)
            agents = await tx.agents.for_account(self.account.id)
        actions: list[Action] = [Delete(_recorded(e)) for e in entries]
        held, failed = await self._execute(
            actions, entries, {a.zendesk_user_id: a for a in agents}
        )
        return len(held | failed)

    # Applying ------------------------------------------------------------------------

    async def _relevant(
        self, tickets: Sequence[MirroredTicket], *, also: Collection[int] = ()
    ) -> list[MirroredTicket]:
        """The tickets that concern the calendars: open tasks, and tickets the mirror or
        an entry knows (and those in ``also``). The rest need nothing: one lookup skips them.
        """
        candidates = [t for t in tickets if not worth_mirroring(t) and t.ticket_id not in also]
        if not candidates:
            return list(tickets)
        async with self.store.transaction() as tx:
            ids = [t.ticket_id for t in candidates]
            known = {e.ticket_id for e in await tx.entries.for_tickets(self.account.id, ids)}
            known.update(await tx.tickets.get_many(self.account.id, ids))
        return [
            t for t in tickets
            if worth_mirroring(t) or t.ticket_id in also or t.ticket_id in known
        ]

    async def apply(self, tickets: Iterable[MirroredTicket], *, reread: bool = True) -> None:
        """Make the calendars right for these tickets as they are now.

        Tickets that are not open tasks, were never mirrored and have no event are
        skipped after one lookup: most of a busy account's changes are of that kind.
        ``reread`` counts the tickets as read from Zendesk in the report.
        """
        prepared = await self._prepare(tickets, reread=reread)
        if prepared is not None:
            await self._carry_out([prepared])

    async def _prepare(
        self, tickets: Iterable[MirroredTicket], *, reread: bool = True
    ) -> _Prepared | None:
        """Mirror the tickets and plan their calendar actions (no calendar call yet)."""
        latest: dict[int, MirroredTicket] = {}
        for ticket in tickets:
            latest[ticket.ticket_id] = ticket
        if reread:
            self.report.tickets_read += len(latest)
            self.report.progressed()
        if not latest:
            return None
        async with self.store.transaction() as tx:
            recorded = await tx.entries.for_tickets(self.account.id, latest)
            with_entries = {e.ticket_id for e in recorded}
            before = await tx.tickets.get_many(self.account.id, latest)
            ids = [
                tid for tid, t in latest.items()
                if tid in with_entries or tid in before or worth_mirroring(t)
            ]
            if not ids:
                return None
            keep = [
                latest[tid] for tid in ids if worth_mirroring(latest[tid]) or tid in with_entries
            ]
            await tx.tickets.upsert_many(self.account.id, keep)
            # The mirror keeps the newest version seen: plan from it where it has one.
            current = await tx.tickets.get_many(self.account.id, [t.ticket_id for t in keep])
            await tx.tickets.delete_many(
                self.account.id, [tid for tid in ids if tid in before and tid not in current]
            )
            agents = await tx.agents.for_account(self.account.id)
            suppressed = await tx.suppressions.for_tickets(self.account.id, ids)
        targets = {
            a.zendesk_user_id: t
            for a in agents
            if (t := agent_target(a, self.account.default_style)) is not None
        }
        pins = {e.ticket_id: e.pinned_due_at for e in recorded if e.pinned_due_at is not None}
        states = [rule_input(current.get(tid) or latest[tid], pins.get(tid)) for tid in ids]
        desired = await self._without_suppressed(
            desired_entries(self.info, states, targets), states, suppressed
        )
        actions = plan_for_tickets(ids, desired, [_recorded(e) for e in recorded])
        return _Prepared(ids, recorded, current, agents, actions)

    async def _carry_out(self, prepared: Sequence[_Prepared]) -> None:
        """Write the planned actions of one or more batches of tickets, all agents' writes
        together (so each agent's batches are full), then settle failures and the mirror."""
        actions = [a for p in prepared for a in p.actions]
        recorded = [e for p in prepared for e in p.recorded]
        agents = {a.zendesk_user_id: a for a in prepared[-1].agents}
        held, failed = await self._execute(actions, recorded, agents)
        async with self.store.transaction() as tx:
            for batch in prepared:
                ids, current = batch.ids, batch.current
                await tx.failures.clear(
                    self.account.id, [tid for tid in ids if tid not in held and tid not in failed]
                )
                # Tickets that left the mirror's scope and have no entry left are forgotten.
                leaving = [
                    tid for tid in ids if tid in current and not worth_mirroring(current[tid])
                ]
                if leaving:
                    still = {
                        e.ticket_id
                        for e in await tx.entries.for_tickets(self.account.id, leaving)
                    }
                    await tx.tickets.delete_many(
                        self.account.id, [tid for tid in leaving if tid not in still]
                    )
        self.report.progressed()

    async def _without_suppressed(
        self,
        desired: list[DesiredEntry],
        states: Sequence[TicketState],
        suppressed: Sequence[Suppression],
    ) -> list[DesiredEntry]:
        """Leave out events agents deleted from their calendars, while the task's date,
        assignee and type are what they were then; forget suppressions that lapsed."""
        if not suppressed:
            return desired
        by_id = {s.ticket_id: s for s in states}
        holding: set[tuple[int, int]] = set()
        lapsed: list[Suppression] = []
        for item in suppressed:
            state = by_id.get(item.ticket_id)
            if state is not None and (state.due_at, state.assignee_id, state.type) == (
                item.due_at, item.assignee_id, item.type
            ):
                holding.add((item.ticket_id, item.agent_id))
            else:
                lapsed.append(item)
        if lapsed:
            async with self.store.transaction() as tx:
                for item in lapsed:
                    await tx.suppressions.remove(self.account.id, item.ticket_id, item.agent_id)
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
        by_agent: dict[int, list[Action]] = defaultdict(list)
        for action in actions:
            by_agent[action.entry.agent_id].append(action)
        held: set[int] = set()
        failed: set[int] = set()
        results = await asyncio.gather(
            *(
                self._execute_for_agent(agents.get(uid), group, existing)
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
    ) -> tuple[set[int], set[int]]:
        tickets = {a.entry.ticket_id for a in actions}
        if agent is None or agent.status is AgentStatus.DISCONNECTED or agent.tokens is None:
            # Nobody can reach that calendar any more: forget what was recorded there.
            async with self.store.transaction() as tx:
                await tx.entries.delete_many(
                    self.account.id, [a.entry for a in actions if isinstance(a, Delete)]
                )
            return set(), set()
        if agent.status is AgentStatus.NEEDS_RECONNECT:
            return tickets, set()  # entries kept: reconnecting repairs them
        async with self._agent_slots:
            try:
                outcomes = await self.calendars.for_agent(agent).apply(actions)
            except CalendarAuthorizationLost as exc:
                log.warning("agent %s must reconnect their calendar: %s", agent.id, exc)
                self.report.agents_needing_reconnect += 1
                async with self.store.transaction() as tx:
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
        written: list[DesiredEntry] = []
        removed: list[RecordedEntry] = []
        failures: list[tuple[Action, WriteOutcome]] = []
        for action, outcome in zip(actions, outcomes, strict=True):
            entry = action.entry
            if outcome.status is not WriteStatus.DONE:
                failures.append((action, outcome))
            elif isinstance(action, Upsert):
                written.append(action.entry)
                if (entry.ticket_id, entry.agent_id, entry.calendar_id) in existing:
                    self.report.events_updated += 1
                else:
                    self.report.events_created += 1
            else:
                removed.append(action.entry)
                self.report.events_deleted += 1
        async with self.store.transaction() as tx:
            await tx.entries.upsert_many(self.account.id, written)
            await tx.entries.delete_many(self.account.id, removed)
            for action, outcome in failures:
                await tx.failures.record(
                    self.account.id, action.entry.ticket_id,
                    outcome.reason or "calendar write failed",
                    agent_id=action.entry.agent_id, kind=outcome.kind.value,
                )
        self.report.events_failed += len(failures)
        return {action.entry.ticket_id for action, _ in failures}

    # Verify --------------------------------------------------------------------------

    async def verify(self) -> None:
        """Read each agent's managed events back and repair drift.

        Events we recorded but the calendar lost are written again; events of this
        account that the calendar holds but we have no record of (a crash between a
        write and its commit, say) are deleted.
        """
        await self._refresh_time_zone()
        async with self.store.transaction() as tx:
            agents = await tx.agents.for_account(self.account.id)
        verified = [a for a in agents if a.can_receive_events]
        self.report.agents_to_verify += len(verified)
        self.report.progressed()
        await asyncio.gather(*(self._verify_agent(a) for a in verified))
        for agent in agents:
            if agent.can_receive_events:
                await self.ensure_channel(agent)

    async def _refresh_time_zone(self) -> None:
        """Zendesk admins may change the account's time zone: read it again, so the
        account-zone reading follows (verify then rewrites what changed)."""
        try:
            self.account = await refresh_account_time_zone(self.store, self.account, self.zendesk)
        except ZendeskError as exc:
            log.warning("account %s: time zone not read (%s)", self.account.id, exc)
            return
        self.info = account_info(self.account)

    def channel_url(self, zendesk_user_id: int) -> str | None:
        """Where the agent's calendar pushes changes of our events (None: zdcal has no
        public URL)."""
        if self.public_url is None:
            return None
        return cronofy_receiver_url(self.public_url, self.account.key, zendesk_user_id)

    async def ensure_channel(self, agent: Agent) -> None:
        """Create (or find) the agent's push channel; never fails the caller."""
        url = self.channel_url(agent.zendesk_user_id)
        if url is None:
            return
        try:
            channel_id = await self.calendars.ensure_channel(agent, url)
        except Exception as exc:  # calendar errors of any kind: verify will try again
            log.warning("no push channel for agent %s: %s", agent.id, exc)
            return
        if channel_id != agent.channel_id:
            async with self.store.transaction() as tx:
                await tx.agents.set_channel(agent.id, channel_id)

    async def _verify_agent(self, agent: Agent) -> None:
        uid = agent.zendesk_user_id
        async with self.store.transaction() as tx:
            entries = await tx.entries.for_agent(self.account.id, uid)
        calendar = self.calendars.for_agent(agent)
        try:
            # Every writable calendar: a stray may sit in one the agent has since left. An
            # entry in a calendar that is gone or read-only now counts as lost.
            writable = sorted(c.calendar_id for c in await calendar.calendars() if c.writable)
            held = {
                (event.calendar_id, event.event_id): event
                async for event in calendar.managed_events(writable)
                if not event.deleted
            }
        except (CalendarAuthorizationLost, CalendarUnavailable) as exc:
            log.warning("verify skipped agent %s: %s", agent.id, exc)
            self.report.agents_verified += 1
            self.report.progressed()
            return
        recorded = {(e.calendar_id, e.event_id) for e in entries}
        lost = [e for e in entries if (e.calendar_id, e.event_id) not in held]
        strays = [
            Delete(RecordedEntry(ticket_id=tid, agent_id=uid, calendar_id=cal, event_id=eid,
                                 content_hash=""))
            for (cal, eid) in held
            if (cal, eid) not in recorded
            and (tid := ticket_id_of_event(self.info, eid)) is not None
        ]
        if lost:
            async with self.store.transaction() as tx:
                await tx.entries.delete_many(self.account.id, lost)
        if strays:
            async with self._agent_slots:
                try:
                    outcomes = await calendar.apply(strays)
                except (CalendarAuthorizationLost, CalendarUnavailable) as exc:
                    log.warning("verify could not delete strays for agent %s: %s", agent.id, exc)
                    outcomes = []
            removed = sum(o.status is WriteStatus.DONE for o in outcomes)
            self.report.events_deleted += removed
            self.report.strays_removed += removed
        self.report.events_rewritten += len(lost)
        await self.sync_agent(uid)
        self.report.agents_verified += 1
        self.report.progressed()
