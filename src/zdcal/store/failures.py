"""Failed tickets: tickets whose calendar writes failed, why, and when to try again.

One row per ticket: the sync engine retries a ticket as a whole (it re-plans it), so
the row keeps the latest failure's reason and agent. Retries back off exponentially
with the number of consecutive failures; clearing the row resets the count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.columns import fit_text
from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert, execute_write, ids_chunks
from zdcal.store.tables import FailedTicketRow

REASON_LIMIT = 500  # the column's size


@dataclass(frozen=True)
class RetryBackoff:
    """How long to wait before retrying a ticket that failed ``attempts`` times in a row.

    ``first`` after one failure, doubling each time, never more than ``longest``. Without
    jitter: the scheduler retries an account's due tickets together, in one unit of work.
    """

    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th consecutive failure (1-based)."""
        doublings = min(max(attempts, 1) - 1, 32)  # 2**32 minutes is past any sane cap
        return min(self.first * (1 << doublings), self.longest)


@dataclass(frozen=True)
class FailedTicket:
    """A ticket whose calendar writes failed."""

    ticket_id: int
    agent_id: int | None  # Zendesk user id of the calendar that failed, when known
    reason: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    next_retry_at: datetime
    kind: str = "unknown"  # a zdcal.calendars.base.FailureKind value


class FailedTickets(Repository):
    """Reads and writes ``failed_tickets``. Does not commit: the caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, backoff: RetryBackoff) -> None:
        super().__init__(session, clock)
        self._backoff = backoff

    async def record(
        self,
        account_id: int,
        ticket_id: int,
        reason: str,
        *,
        agent_id: int | None = None,
        kind: str = "unknown",
    ) -> FailedTicket:
        """Count one more failure of a ticket and schedule its next retry.

        ``reason`` is the detail shown to admins (e.g. Cronofy's 422 description); it must
        not contain secrets. ``kind`` is what agents are told, in words the pages choose.
        """
        now = self._clock.now()
        table = FailedTicketRow.__table__
        latest = {"agent_id": agent_id, "reason": fit_text(reason, REASON_LIMIT), "kind": kind}
        insert = dialect_insert(self._session, FailedTicketRow).values(
            account_id=account_id,
            ticket_id=ticket_id,
            attempts=1,
            first_failed_at=now,
            last_failed_at=now,
            next_retry_at=now + self._backoff.delay(1),
            **latest,
        )
        # The increment happens in the database so that concurrent failures all count.
        upsert = insert.on_conflict_do_update(
            index_elements=["account_id", "ticket_id"],
            set_={**latest, "attempts": table.c.attempts + 1, "last_failed_at": now},
        ).returning(table.c.attempts)
        attempts = (await self._session.execute(upsert)).scalar_one()
        if attempts > 1:
            await self._session.execute(
                update(FailedTicketRow)
                .where(_key(account_id, ticket_id))
                .values(next_retry_at=now + self._backoff.delay(attempts))
                .execution_options(synchronize_session=False)
            )
        row = (await self._session.execute(_select().where(_key(account_id, ticket_id)))).one()
        return _from_row(row)

    async def clear(self, account_id: int, ticket_ids: Iterable[int]) -> int:
        """Forget the failures of tickets that synced; returns how many were recorded."""
        cleared = 0
        for chunk in ids_chunks(self._session, ticket_ids):
            cleared += await execute_write(
                self._session,
                delete(FailedTicketRow).where(
                    FailedTicketRow.account_id == account_id, FailedTicketRow.ticket_id.in_(chunk)
                ),
            )
        return cleared

    async def due(self, account_id: int, *, limit: int = 1000) -> list[FailedTicket]:
        """Failed tickets whose retry time has come, the longest-waiting first."""
        rows = await self._session.execute(
            _select()
            .where(
                FailedTicketRow.account_id == account_id,
                FailedTicketRow.next_retry_at <= self._clock.now(),
            )
            .order_by(FailedTicketRow.next_retry_at, FailedTicketRow.ticket_id)
            .limit(limit)
        )
        return [_from_row(row) for row in rows]

    async def accounts_due(self) -> list[int]:
        """The accounts with a failed ticket whose retry time has come."""
        rows = await self._session.execute(
            select(FailedTicketRow.account_id)
            .where(FailedTicketRow.next_retry_at <= self._clock.now())
            .distinct()
            .order_by(FailedTicketRow.account_id)
        )
        return list(rows.scalars())

    async def for_account(self, account_id: int) -> list[FailedTicket]:
        """Every failed ticket of an account (for the status page), most recent first."""
        rows = await self._session.execute(
            _select()
            .where(FailedTicketRow.account_id == account_id)
            .order_by(FailedTicketRow.last_failed_at.desc(), FailedTicketRow.ticket_id)
        )
        return [_from_row(row) for row in rows]

    async def for_agent(self, account_id: int, agent_id: int, *, limit: int) -> list[FailedTicket]:
        """The most recent failures in one agent's calendar (Zendesk user id), at most
        ``limit``: what their page shows first."""
        rows = await self._session.execute(
            _select()
            .where(FailedTicketRow.account_id == account_id, FailedTicketRow.agent_id == agent_id)
            .order_by(FailedTicketRow.last_failed_at.desc(), FailedTicketRow.ticket_id)
            .limit(limit)
        )
        return [_from_row(row) for row in rows]

    async def count(self, account_id: int) -> int:
        """How many tickets of an account are failing."""
        total = await self._session.scalar(
            select(func.count())
            .select_from(FailedTicketRow)
            .where(FailedTicketRow.account_id == account_id)
        )
        return int(total or 0)


_FIELDS = tuple(FailedTicket.__dataclass_fields__)


def _key(account_id: int, ticket_id: int) -> Any:
    return (FailedTicketRow.account_id == account_id) & (FailedTicketRow.ticket_id == ticket_id)


def _select() -> Select[Any]:
    return select(*(FailedTicketRow.__table__.c[name] for name in _FIELDS))


def _from_row(row: Row[Any]) -> FailedTicket:
    return FailedTicket(**row._asdict())
