"""Verifying one account's calendars: re-read the account's time zone, read each agent's
managed events back, write again what the calendar lost, delete what nothing records,
and re-create missing push channels."""

from __future__ import annotations

import asyncio
import logging

from zdcal.calendars.base import (
    CHANNEL_RENEW_BEFORE,
    CalendarAuthorizationLost,
    CalendarUnavailable,
    WriteStatus,
)
from zdcal.domain import Delete, RecordedEntry, ticket_id_of_event
from zdcal.store import Agent
from zdcal.sync.apply import TicketApplier
from zdcal.sync.context import SyncContext
from zdcal.sync.due_dates import refresh_account_time_zone
from zdcal.webhook_urls import calendar_receiver_url
from zdcal.zendesk.errors import ZendeskError

log = logging.getLogger(__name__)


class CalendarVerifier:
    """Reads one account's calendars back and repairs drift."""

    def __init__(self, context: SyncContext, applier: TicketApplier) -> None:
        self.context = context
        self.applier = applier

    async def verify(self) -> None:
        """Read each agent's managed events back and repair drift.

        Events we recorded but the calendar lost are written again; events of this
        account that the calendar holds but we have no record of (a crash between a
        write and its commit, say) are deleted.
        """
        ctx = self.context
        await self._refresh_time_zone()
        async with ctx.store.transaction() as tx:
            agents = await tx.agents.for_account(ctx.account.id)
        verified = [a for a in agents if a.can_receive_events]
        ctx.report.agents_to_verify += len(verified)
        ctx.report.progressed()
        await asyncio.gather(*(self._verify_agent(a) for a in verified))
        for agent in agents:
            if agent.can_receive_events:
                await self.ensure_channel(agent)

    async def _refresh_time_zone(self) -> None:
        """Zendesk admins may change the account's time zone: read it again, so the
        account-zone reading follows (verify then rewrites what changed)."""
        ctx = self.context
        try:
            account = await refresh_account_time_zone(ctx.store, ctx.account, ctx.zendesk)
        except ZendeskError as exc:
            log.warning("account %s: time zone not read (%s)", ctx.account.id, exc)
            return
        ctx.use_account(account)

    def channel_url(self, agent: Agent) -> str | None:
        """Where the agent's calendar pushes changes of our events (None: zdcal has no
        public URL)."""
        ctx = self.context
        if ctx.public_url is None:
            return None
        return calendar_receiver_url(
            ctx.public_url, agent.calendar_backend, ctx.account.key, agent.zendesk_user_id
        )

    async def renew_channels(self) -> int:
        """Replace the account's push channels that expire within a day
        (:data:`~zdcal.calendars.base.CHANNEL_RENEW_BEFORE`); returns how many were due."""
        ctx = self.context
        due_by = ctx.clock.now() + CHANNEL_RENEW_BEFORE
        async with ctx.store.transaction() as tx:
            agents = await tx.agents.with_channel_expiring(ctx.account.id, due_by)
        for agent in agents:
            if agent.can_receive_events:
                await self.ensure_channel(agent)
        return len(agents)

    async def ensure_channel(self, agent: Agent) -> None:
        """Create (or find) the agent's push channel; never fails the caller."""
        url = self.channel_url(agent)
        if url is None:
            return
        ctx = self.context
        try:
            channel = await ctx.calendars.ensure_channel(agent, url)
        except Exception as exc:  # calendar errors of any kind: verify will try again
            log.warning("no push channel for agent %s: %s", agent.id, exc)
            return
        if channel is None:
            return
        if (channel.channel_id, channel.resource_id, channel.expires_at) != (
            agent.channel_id, agent.channel_resource_id, agent.channel_expires_at
        ):
            async with ctx.store.transaction() as tx:
                await tx.agents.set_channel(
                    agent.id, channel.channel_id, resource_id=channel.resource_id,
                    expires_at=channel.expires_at,
                )

    async def _verify_agent(self, agent: Agent) -> None:
        ctx = self.context
        report = ctx.report
        uid = agent.zendesk_user_id
        async with ctx.store.transaction() as tx:
            entries = await tx.entries.for_agent(ctx.account.id, uid)
        calendar = ctx.calendars.for_agent(agent)
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
            report.agents_verified += 1
            report.progressed()
            return
        recorded = {(e.calendar_id, e.event_id) for e in entries}
        lost = [e for e in entries if (e.calendar_id, e.event_id) not in held]
        strays = [
            Delete(RecordedEntry(ticket_id=tid, agent_id=uid, calendar_id=cal, event_id=eid,
                                 content_hash=""))
            for (cal, eid) in held
            if (cal, eid) not in recorded
            and (tid := ticket_id_of_event(ctx.info, eid)) is not None
        ]
        if lost:
            async with ctx.store.transaction() as tx:
                await tx.entries.delete_many(ctx.account.id, lost)
        if strays:
            async with ctx.agent_slots:
                try:
                    outcomes = await calendar.apply(strays)
                except (CalendarAuthorizationLost, CalendarUnavailable) as exc:
                    log.warning("verify could not delete strays for agent %s: %s", agent.id, exc)
                    outcomes = []
            removed = sum(o.status is WriteStatus.DONE for o in outcomes)
            report.events_deleted += removed
            report.strays_removed += removed
        report.events_rewritten += len(lost)
        await self.applier.sync_agent(uid)
        report.agents_verified += 1
        report.progressed()
