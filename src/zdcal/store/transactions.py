"""The store as callers use it: one object that opens transactions with every repository.

Example::

    store = Store(create_engine(url), vault, SystemClock())
    async with store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain("acme")
        await tx.entries.upsert(account.id, entry)
    # committed here; rolled back if the block raised
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from zdcal.clock import Clock
from zdcal.store.accounts import Accounts
from zdcal.store.agent_tasks import AgentTasks
from zdcal.store.agents import Agents
from zdcal.store.calendar_changes import PendingCalendarReads, Suppressions
from zdcal.store.cluster_locks import ClusterLocks
from zdcal.store.cursors import SyncCursors
from zdcal.store.engine import SQLITE_BUSY_TIMEOUT_MS, session_factory
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
        self._sqlite = engine.dialect.name == "sqlite"
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def _one_writer(self) -> asyncio.Lock:
        """This event loop's turn to open a SQLite transaction.

        Every SQLite transaction takes the database's one write lock (``BEGIN
        IMMEDIATE``). Left to SQLite, the transactions of one process that wait for it
        sleep in the busy handler's growing steps (up to 100 ms a try) and are not served
        in order: twenty agents' records after one drain cycle took up to 1.8 s. Queued
        here instead, each starts the moment the one before commits. Other processes (a
        CLI command) still meet the busy timeout."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        return self._writer[1]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Keep it short: no calendar or Zendesk calls inside (on SQLite it holds the lock).
        """
        async with AsyncExitStack() as turn:
            if self._sqlite:
                writer = self._one_writer()
                try:
                    async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                        await writer.acquire()
                except TimeoutError:
                    # What SQLite's busy timeout says, and how SQLAlchemy reports it.
                    raise OperationalError(
                        "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                    ) from None
                turn.callback(writer.release)
            async with self._transaction() as tx:
                yield tx

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
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
