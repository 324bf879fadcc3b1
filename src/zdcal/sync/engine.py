"""Keeps one Zendesk account's open tasks in its agents' calendars.

The flow is one way: a change feed yields tickets; the domain rules say which event
each ticket wants; the planner compares that with what the store recorded; the
calendar backend carries out the actions; each outcome is recorded one by one.
:class:`AccountSync` puts the three parts together:

* :mod:`zdcal.sync.feeds`: where changed tickets come from (first sync, incremental
  export, webhook re-reads, the retry list);
* :mod:`zdcal.sync.apply`: mirror, plan, write per agent, record each outcome;
* :mod:`zdcal.sync.verify`: read the calendars back and repair drift, push channels.

One agent's broken authorization or failing calendar never holds back the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from zdcal.calendars.base import CalendarConnector
from zdcal.clock import Clock
from zdcal.domain import AccountInfo
from zdcal.store import Account, Agent, MirroredTicket, Store
from zdcal.sync.apply import TicketApplier, agent_target
from zdcal.sync.context import SyncContext
from zdcal.sync.feeds import TicketFeeds
from zdcal.sync.report import SyncReport
from zdcal.sync.verify import CalendarVerifier
from zdcal.zendesk import ZendeskClient

__all__ = ["AccountSync", "agent_target"]


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
        self.context = SyncContext(
            store=store,
            account=account,
            zendesk=zendesk,
            calendars=calendars,
            clock=clock,
            report=report or SyncReport(),
            agent_slots=asyncio.Semaphore(agent_concurrency),
            public_url=public_url.rstrip("/") if public_url else None,
        )
        self.applier = TicketApplier(self.context)
        self.feeds = TicketFeeds(self.context, self.applier)
        self.verifier = CalendarVerifier(self.context, self.applier)

    # What callers read of the shared state ---------------------------------------------

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def account(self) -> Account:
        """The account as last read (verify re-reads its time zone)."""
        return self.context.account

    @property
    def info(self) -> AccountInfo:
        return self.context.info

    @property
    def zendesk(self) -> ZendeskClient:
        return self.context.zendesk

    @property
    def calendars(self) -> CalendarConnector:
        return self.context.calendars

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def report(self) -> SyncReport:
        return self.context.report

    @property
    def public_url(self) -> str | None:
        """Where calendar push notifications reach zdcal (None: no channels are made)."""
        return self.context.public_url

    @public_url.setter
    def public_url(self, value: str | None) -> None:
        self.context.public_url = value

    # Feeds -----------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Read every change since the last sweep (a backfill the first time)."""
        await self.feeds.sweep()

    async def backfill(self) -> None:
        """Read every open task (search export), then hand over to the incremental export."""
        await self.feeds.backfill()

    async def refresh(self, ticket_ids: Sequence[int]) -> None:
        """Re-read tickets from Zendesk (show_many) and apply them; missing ones are gone."""
        await self.feeds.refresh(ticket_ids)

    async def retry_failed(self) -> None:
        """Apply again the tickets whose earlier attempt failed and whose retry time came."""
        await self.feeds.retry_failed()

    # Applying --------------------------------------------------------------------------

    async def apply(self, tickets: Iterable[MirroredTicket], *, reread: bool = True) -> None:
        """Make the calendars right for these tickets as they are now (``reread``: count
        them as read from Zendesk in the report)."""
        await self.applier.apply(tickets, reread=reread)

    async def sync_agent(self, zendesk_user_id: int) -> None:
        """Bring one agent's calendar in line from the mirror, without asking Zendesk."""
        await self.applier.sync_agent(zendesk_user_id)

    async def clear_agent(self, zendesk_user_id: int) -> int:
        """Delete every event zdcal wrote to an agent's calendars; returns how many could
        not be deleted (their entries are kept for a later try)."""
        return await self.applier.clear_agent(zendesk_user_id)

    # Verify ----------------------------------------------------------------------------

    async def verify(self) -> None:
        """Read each agent's managed events back and repair drift."""
        await self.verifier.verify()

    def channel_url(self, agent: Agent) -> str | None:
        """Where the agent's calendar pushes changes of our events (None: no public URL)."""
        return self.verifier.channel_url(agent)

    async def ensure_channel(self, agent: Agent) -> None:
        """Create (or find) the agent's push channel; never fails the caller."""
        await self.verifier.ensure_channel(agent)

    async def renew_channels(self) -> int:
        """Replace the push channels that expire within a day; how many were due."""
        return await self.verifier.renew_channels()
