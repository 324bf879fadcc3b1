"""Leases: one holder at a time, across processes and machines.

Per account (sync work) and per agent (refreshing the agent's calendar tokens). A lease
expires on its own, so a holder that dies without releasing it blocks for at most one
lease period; a live holder renews it while it works.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import AccountLeaseRow, TokenRefreshLeaseRow

LeaseRow = type[AccountLeaseRow] | type[TokenRefreshLeaseRow]


class _Leases:
    """Take, renew and release rows of one lease table, keyed by ``key``."""

    def __init__(self, session: AsyncSession, clock: Clock, row: LeaseRow, key: str) -> None:
        self._session = session
        self._clock = clock
        self._row = row
        self._key = key

    async def _take(self, key: int, holder: str, period: timedelta) -> bool:
        now = self._clock.now()
        table: Any = self._row.__table__
        insert = dialect_insert(self._session, self._row).values(
            {self._key: key, "holder": holder, "expires_at": now + period}
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[self._key],
                set_={"holder": holder, "expires_at": now + period},
                where=or_(table.c.holder == holder, table.c.expires_at < now),
            )
        )
        current = await self._session.scalar(
            select(table.c.holder).where(table.c[self._key] == key)
        )
        return bool(current == holder)

    async def _release(self, key: int, holder: str) -> None:
        table: Any = self._row.__table__
        await execute_write(
            self._session,
            delete(table).where(table.c[self._key] == key, table.c.holder == holder),
        )


class AccountLeases(_Leases):
    """Reads and writes ``account_leases``. Does not commit: take, then commit at once."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        super().__init__(session, clock, AccountLeaseRow, "account_id")

    async def take(self, account_id: int, holder: str, period: timedelta) -> bool:
        """Take or renew the lease; False when another live holder has it."""
        return await self._take(account_id, holder, period)

    async def release(self, account_id: int, holder: str) -> None:
        await self._release(account_id, holder)


class TokenRefreshLeases(_Leases):
    """Reads and writes ``token_refresh_leases`` (key: ``agents.id``). Does not commit."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        super().__init__(session, clock, TokenRefreshLeaseRow, "agent_id")

    async def take(self, agent_id: int, holder: str, period: timedelta) -> bool:
        """Take or renew the agent's refresh lease; False when another live holder has it."""
        return await self._take(agent_id, holder, period)

    async def release(self, agent_id: int, holder: str) -> None:
        await self._release(agent_id, holder)
