"""The queue of tickets Zendesk notified about, durable between the receiver and the worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from zdcal.store.repository import Repository
from zdcal.store.statements import execute_write, ids_chunks
from zdcal.store.tables import PendingNotificationRow


@dataclass(frozen=True)
class PendingBatch:
    """Notified tickets of one account, and the newest queue row they cover."""

    account_id: int
    ticket_ids: list[int]
    up_to_row: int = 0


class PendingNotifications(Repository):
    """Reads and writes ``pending_notifications``. Does not commit."""

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
        """The account's tickets waiting longest (up to ``limit``), each standing for every
        row queued for it so far: a ticket notified many times is read once."""
        rows = await self._session.execute(
            select(PendingNotificationRow.ticket_id, func.max(PendingNotificationRow.id))
            .where(PendingNotificationRow.account_id == account_id)
            .group_by(PendingNotificationRow.ticket_id)
            .order_by(func.min(PendingNotificationRow.id))
            .limit(limit)
        )
        taken: list[tuple[int, int]] = [(ticket_id, row_id) for ticket_id, row_id in rows]
        return PendingBatch(account_id, [ticket_id for ticket_id, _ in taken],
                            max((row_id for _, row_id in taken), default=0))

    async def done(self, batch: PendingBatch) -> int:
        """Forget the batch's rows once its tickets were applied. Rows queued since the
        take are newer than ``up_to_row`` and stay: their tickets are read again."""
        removed = 0
        for chunk in ids_chunks(self._session, batch.ticket_ids):
            removed += await execute_write(
                self._session,
                delete(PendingNotificationRow).where(
                    PendingNotificationRow.account_id == batch.account_id,
                    PendingNotificationRow.ticket_id.in_(chunk),
                    PendingNotificationRow.id <= batch.up_to_row,
                ),
            )
        return removed

    async def depth(self) -> int:
        """How many notifications wait, all accounts together."""
        count = await self._session.scalar(select(func.count(PendingNotificationRow.id)))
        return int(count or 0)
