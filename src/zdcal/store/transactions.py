"""The store as callers use it: one object that opens transactions with every repository.

Example::

    store = Store(create_engine(url), vault, SystemClock())
    async with store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain("acme")
        await tx.entries.upsert(account.id, entry)
    # committed here; rolled back if the block raised
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from zdcal.clock import Clock
from zdcal.store.accounts import Accounts
from zdcal.store.agent_tasks import AgentTasks
from zdcal.store.agents import Agents
from zdcal.store.calendar_changes import PendingCalendarReads, Suppressions
from zdcal.store.cluster_locks import ClusterLocks
from zdcal.store.cursors import SyncCursors
from zdcal.store.engine import session_factory
from zdcal.store.entries import CalendarEntries
from zdcal.store.failures import FailedTickets, RetryBackoff
from zdcal.store.ics_feeds import IcsFeeds
from zdcal.store.leases import AccountLeases, TokenRefreshLeases
from zdcal.store.mail_outbox import MailOutbox
from zdcal.store.notifications import PendingNotifications
from zdcal.store.sync_runs import SyncRuns
from zdcal.store.tickets import TicketMirror
from zdcal.store.vault import Vault
from zdcal.store.web_sessions import WebSessions
from zdcal.store.webhook_deliveries import WebhookDeliveries


@dataclass(frozen=True)
class Transaction:
    """Every repository, sharing one session and so one database transaction."""

    session: AsyncSession
    accounts: Accounts
    agents: Agents
    tickets: TicketMirror
    entries: CalendarEntries
    cursors: SyncCursors
    failures: FailedTickets
    notifications: PendingNotifications
    leases: AccountLeases
    token_refresh_leases: TokenRefreshLeases
    suppressions: Suppressions
    calendar_reads: PendingCalendarReads
    web_sessions: WebSessions
    deliveries: WebhookDeliveries
    mail: MailOutbox
    sync_runs: SyncRuns
    agent_tasks: AgentTasks
    ics_feeds: IcsFeeds
    cluster_locks: ClusterLocks


class Store:
    """zdcal's database: an engine, the vault for secrets, and the clock for timestamps."""

    def __init__(
        self,
        engine: AsyncEngine,
        vault: Vault,
        clock: Clock,
        *,
        backoff: RetryBackoff | None = None,
    ) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        self._vault = vault
        self._clock = clock
        self._backoff = backoff or RetryBackoff()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Keep it short: no calendar or Zendesk calls inside (on SQLite it holds the lock).
        """
        async with self._sessions() as session, session.begin():
            mail = MailOutbox(session, self._clock, self._backoff)
            yield Transaction(
                session=session,
                accounts=Accounts(session, self._vault, self._clock),
                agents=Agents(session, self._vault, self._clock, mail),
                tickets=TicketMirror(session),
                entries=CalendarEntries(session, self._clock),
                cursors=SyncCursors(session, self._clock),
                failures=FailedTickets(session, self._clock, self._backoff),
                notifications=PendingNotifications(session, self._clock),
                leases=AccountLeases(session, self._clock),
                token_refresh_leases=TokenRefreshLeases(session, self._clock),
                suppressions=Suppressions(session, self._clock),
                calendar_reads=PendingCalendarReads(session, self._clock),
                web_sessions=WebSessions(session, self._clock),
                deliveries=WebhookDeliveries(session, self._clock),
                mail=mail,
                sync_runs=SyncRuns(session, self._clock),
                agent_tasks=AgentTasks(session),
                ics_feeds=IcsFeeds(session, self._clock),
                cluster_locks=ClusterLocks(session, self._clock),
            )

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
