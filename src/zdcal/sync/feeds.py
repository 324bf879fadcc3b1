"""Where changed tickets come from: the first sync (search export, then show_many for
tickets the search no longer finds), the incremental export followed with a cursor, the
re-reads a webhook asks for, and the retry list. Each hands its tickets to the applier.

* A Zendesk notification is only a hint: the truth is always re-read from Zendesk.
* The export cursor is saved only after every ticket of its page was applied or parked
  in the retry list, so a crash or an error never skips a change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from zdcal.http.budgets import WorkClass, working
from zdcal.store import BackfillState, MirroredTicket, SyncCursor
from zdcal.sync.apply import Prepared, TicketApplier
from zdcal.sync.context import SyncContext
from zdcal.sync.tickets import gone, observed
from zdcal.zendesk.errors import Invalid as ZendeskInvalid

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


class TicketFeeds:
    """Reads one account's changed tickets from Zendesk and applies them."""

    def __init__(self, context: SyncContext, applier: TicketApplier) -> None:
        self.context = context
        self.applier = applier

    async def sweep(self) -> None:
        """Read every change since the last sweep (a backfill the first time)."""
        ctx = self.context
        async with ctx.store.transaction() as tx:
            cursor = await tx.cursors.get(ctx.account.id)
            account = await tx.accounts.get(ctx.account.id)
        if account is None:
            raise LookupError(f"account {ctx.account.id} was removed")
        if cursor is None or account.backfill.state is not BackfillState.DONE:
            with working(WorkClass.BULK, ctx.account.id):  # the 70% share (docs/scale.md)
                await self.backfill()
            return
        await self._follow_export(cursor)

    async def backfill(self) -> None:
        """Read every open task (search export), then hand over to the incremental export.

        The export's start time is taken before the backfill begins, less the search
        index lag, so whatever changes meanwhile is read again by the next sweep.
        """
        ctx = self.context
        started = ctx.clock.now()
        async with ctx.store.transaction() as tx:
            await tx.accounts.set_backfill_state(ctx.account.id, BackfillState.RUNNING)
        seen: set[int] = set()
        # Each page is mirrored and planned while the next one is read; the calendar
        # writes of many pages go out together, so each agent's batches are full (50
        # writes per request) instead of a few writes per agent per page.
        planning: list[asyncio.Task[Prepared | None]] = []
        planned_tickets = 0
        async for page in ctx.zendesk.search_export(OPEN_TASKS_QUERY):
            seen.update(t.id for t in page.tickets)
            planning.append(
                asyncio.create_task(self.applier.prepare([observed(t) for t in page.tickets]))
            )
            planned_tickets += len(page.tickets)
            if planned_tickets >= BACKFILL_CHUNK:
                await self._carry_out_planned(planning)
                planning, planned_tickets = [], 0
        await self._carry_out_planned(planning)
        # Events written earlier for tickets the search no longer finds (solved, deleted,
        # retyped while zdcal was not following): re-read those from Zendesk.
        async with ctx.store.transaction() as tx:
            recorded = await tx.entries.ticket_ids(ctx.account.id)
        await self.refresh(sorted(recorded - seen))
        async with ctx.store.transaction() as tx:
            await tx.cursors.set(ctx.account.id, "", start_time=started - SEARCH_INDEX_MARGIN)
            await tx.accounts.set_backfill_state(ctx.account.id, BackfillState.DONE)

    async def _carry_out_planned(self, planning: list[asyncio.Task[Prepared | None]]) -> None:
        prepared = [p for p in await asyncio.gather(*planning) if p is not None]
        if prepared:
            await self.applier.carry_out(prepared)

    async def _follow_export(self, saved: SyncCursor) -> None:
        ctx = self.context
        cursor = saved.cursor or None
        if cursor is None and saved.start_time > ctx.clock.now() - EXPORT_MIN_AGE:
            return  # too recent for Zendesk to serve yet; the next sweep will
        # Tickets read but not applied yet. The cursor is saved only when this is empty.
        pending: dict[int, MirroredTicket] = {}
        while True:
            try:
                if cursor is None:
                    page = await ctx.zendesk.incremental_tickets_page(start_time=saved.start_time)
                else:
                    page = await ctx.zendesk.incremental_tickets_page(cursor=cursor)
            except ZendeskInvalid:
                if cursor is None:
                    raise
                # A cursor Zendesk no longer accepts: start over in full rather than guess.
                log.warning("account %s: export cursor refused; resyncing", ctx.account.id)
                async with ctx.store.transaction() as tx:
                    await tx.cursors.clear(ctx.account.id)
                    await tx.accounts.set_backfill_state(
                        ctx.account.id, BackfillState.NOT_STARTED
                    )
                await self.backfill()
                return
            tickets = [observed(t) for t in page.tickets]
            ctx.report.tickets_read += len(tickets)
            ctx.report.progressed()
            # A pending ticket is kept whatever its new version is: that version must
            # replace the pending one even if it no longer concerns the calendars.
            pending.update(
                (t.ticket_id, t)
                for t in await self.applier.relevant(tickets, also=pending.keys())
            )
            last_page = page.end_of_stream or not page.after_cursor
            if last_page or len(pending) >= EXPORT_CHUNK:
                await self.applier.apply(pending.values(), reread=False)
                pending = {}
            if page.after_cursor:
                cursor = page.after_cursor
                if not pending:
                    async with ctx.store.transaction() as tx:
                        await tx.cursors.set(ctx.account.id, cursor, start_time=saved.start_time)
            if last_page:
                return

    async def refresh(self, ticket_ids: Sequence[int]) -> None:
        """Re-read tickets from Zendesk (show_many) and apply them; missing ones are gone."""
        if not ticket_ids:
            return
        tickets = await self.context.zendesk.show_many_tickets(ticket_ids)
        found = {t.id: observed(t) for t in tickets}
        await self.applier.apply([found.get(tid) or gone(tid) for tid in ticket_ids])

    async def retry_failed(self) -> None:
        """Apply again the tickets whose earlier attempt failed and whose retry time came."""
        ctx = self.context
        async with ctx.store.transaction() as tx:
            due = [f.ticket_id for f in await tx.failures.due(ctx.account.id)]
            known = await tx.tickets.get_many(ctx.account.id, due)
        if not due:
            return
        await self.applier.apply([known[tid] for tid in due if tid in known], reread=False)
        await self.refresh([tid for tid in due if tid not in known])
        # A retried ticket either synced (cleared) or failed again (retry time moved on);
        # one still due needed nothing at all (no event wanted, none recorded): forget it,
        # or the scheduler would retry it on every tick.
        async with ctx.store.transaction() as tx:
            still_due = {f.ticket_id for f in await tx.failures.due(ctx.account.id)}
            await tx.failures.clear(ctx.account.id, [tid for tid in due if tid in still_due])
