"""The queue of tickets Zendesk notified about, durable between the receiver and the worker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.statements import execute_write, ids_chunks
from zdcal.store.tables import PendingNotificationRow


@dataclass(frozen=True)
class PendingBatch:
    """Notified tickets of one account, and the queue rows that carried them."""

    account_id: int
    ticket_ids: list[int]
    row_ids: list[int]


class PendingNotifications:
    """Reads and writes ``pending_notifications``. Does not commit."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def add_many(self, notified: Sequence[tuple[int, int]]) -> None:
        """Record (account id, ticket id) pairs, in one statement."""
        if not notified:
            return
        now = self._clock.now()
        await self._session.execute(
            insert(PendingNotificationRow),
            [{"account_id": a, "ticket_id": t, "received_at": now} for a, t in notified],
        )

    async def accounts_waiting(self) -> list[int]:
        """Accounts with notified tickets not yet applied."""
        rows = await self._session.execute(select(PendingNotificationRow.account_id).distinct())
        return sorted(rows.scalars())

    async def take(self, account_id: int, *, limit: int = 1000) -> PendingBatch:
        """The oldest waiting rows of an account (up to ``limit``), tickets de-duplicated."""
        rows = await self._session.execute(
            select(PendingNotificationRow.id, PendingNotificationRow.ticket_id)
            .where(PendingNotificationRow.account_id == account_id)
            .order_by(PendingNotificationRow.id)
            .limit(limit)
        )
        row_ids: list[int] = []
        tickets: dict[int, None] = {}
        for row_id, ticket_id in rows:
            row_ids.append(row_id)
            tickets[ticket_id] = None
        return PendingBatch(account_id, list(tickets), row_ids)

    async def done(self, row_ids: Iterable[int]) -> int:
        """Forget rows whose tickets were applied."""
        removed = 0
        for chunk in ids_chunks(self._session, row_ids):
            removed += await execute_write(
                self._session,
                delete(PendingNotificationRow).where(PendingNotificationRow.id.in_(chunk)),
            )
        return removed

    async def depth(self) -> int:
        """How many notifications wait, all accounts together."""
        count = await self._session.scalar(select(func.count(PendingNotificationRow.id)))
        return int(count or 0)
