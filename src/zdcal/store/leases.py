"""Leases: one holder at a time, across processes and machines.

Per account (sync work) and per agent (refreshing the agent's calendar tokens). A lease
expires on its own, so a holder that dies without releasing it blocks for at most one
lease period; a live holder renews it while it works. An account's holder also records
its process, so that a process on the same machine that finds the holder gone may take
over at once (``replacing``) instead of waiting for the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import AccountLeaseRow, TokenRefreshLeaseRow

LeaseRow = type[AccountLeaseRow] | type[TokenRefreshLeaseRow]


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a lease: a name unique to the holder, and its process where known (the
    machine view the pid belongs to, the pid, the process's start time)."""

    name: str
    view: str | None = None
    pid: int | None = None
    started: int | None = None


class _Leases(Repository):
    """Take, renew and release rows of one lease table, keyed by ``key``."""

    def __init__(self, session: AsyncSession, clock: Clock, row: LeaseRow, key: str) -> None:
        super().__init__(session, clock)
        self._row = row
        self._key = key

    async def _take(
        self,
        key: int,
        holder: str,
        period: timedelta,
        *,
        extra: dict[str, Any] | None = None,
        replacing: str | None = None,
    ) -> bool:
        now = self._clock.now()
        table: Any = self._row.__table__
        values = {"holder": holder, "expires_at": now + period, **(extra or {})}
        takeable = [table.c.holder == holder, table.c.expires_at < now]
        if replacing is not None:
            takeable.append(table.c.holder == replacing)
        insert = dialect_insert(self._session, self._row).values({self._key: key, **values})
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=[self._key], set_=values, where=or_(*takeable)
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

    async def take(
        self,
        account_id: int,
        holder: LeaseHolder,
        period: timedelta,
        *,
        replacing: str | None = None,
    ) -> bool:
        """Take or renew the lease; False when another live holder has it. ``replacing``
        names a holder known to be gone: its lease is taken even before it expires (only
        if it still holds it, so of two processes taking over, one wins)."""
        process = {
            "holder_view": holder.view,
            "holder_pid": holder.pid,
            "holder_started": holder.started,
        }
        return await self._take(
            account_id, holder.name, period, extra=process, replacing=replacing
        )

    async def holder(self, account_id: int) -> LeaseHolder | None:
        """Who holds the account's lease (expired or not), if anyone."""
        row = await self._session.get(AccountLeaseRow, account_id, populate_existing=True)
        if row is None:
            return None
        return LeaseHolder(row.holder, row.holder_view, row.holder_pid, row.holder_started)

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
