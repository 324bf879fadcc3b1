"""Per-account work leases: one holder at a time, across processes and machines.

A lease expires on its own, so a holder that dies without releasing it blocks the
account for at most one lease period; a live holder renews it while it works.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import AccountLeaseRow


class AccountLeases:
    """Reads and writes ``account_leases``. Does not commit: take, then commit at once."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def take(self, account_id: int, holder: str, period: timedelta) -> bool:
        """Take or renew the lease; False when another live holder has it."""
        now = self._clock.now()
        table = AccountLeaseRow.__table__
        insert = dialect_insert(self._session, AccountLeaseRow).values(
            account_id=account_id, holder=holder, expires_at=now + period
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=["account_id"],
                set_={"holder": holder, "expires_at": now + period},
                where=or_(table.c.holder == holder, table.c.expires_at < now),
            )
        )
        current = await self._session.scalar(
            select(AccountLeaseRow.holder).where(AccountLeaseRow.account_id == account_id)
        )
        return current == holder

    async def release(self, account_id: int, holder: str) -> None:
        await execute_write(
            self._session,
            delete(AccountLeaseRow).where(
                AccountLeaseRow.account_id == account_id, AccountLeaseRow.holder == holder
            ),
        )
