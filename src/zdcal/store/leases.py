"""Per-account work leases: one holder at a time, across processes and machines.

A lease expires on its own, so a holder that dies without releasing it blocks the
account for at most one lease period; a live holder renews it while it works. A holder
also records its process, so that a process on the same machine that finds the holder
gone may take over at once (``replacing``) instead of waiting for the expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import AccountLeaseRow


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a lease: a name unique to the holder, and its process where known (the
    machine view the pid belongs to, the pid, the process's start time)."""

    name: str
    view: str | None = None
    pid: int | None = None
    started: int | None = None


class AccountLeases:
    """Reads and writes ``account_leases``. Does not commit: take, then commit at once."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

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
        now = self._clock.now()
        table = AccountLeaseRow.__table__
        values = {
            "holder": holder.name,
            "expires_at": now + period,
            "holder_view": holder.view,
            "holder_pid": holder.pid,
            "holder_started": holder.started,
        }
        takeable = [table.c.holder == holder.name, table.c.expires_at < now]
        if replacing is not None:
            takeable.append(table.c.holder == replacing)
        insert = dialect_insert(self._session, AccountLeaseRow).values(
            account_id=account_id, **values
        )
        await self._session.execute(
            insert.on_conflict_do_update(
                index_elements=["account_id"], set_=values, where=or_(*takeable)
            )
        )
        current = await self._session.scalar(
            select(AccountLeaseRow.holder).where(AccountLeaseRow.account_id == account_id)
        )
        return current == holder.name

    async def holder(self, account_id: int) -> LeaseHolder | None:
        """Who holds the account's lease (expired or not), if anyone."""
        row = await self._session.get(AccountLeaseRow, account_id, populate_existing=True)
        if row is None:
            return None
        return LeaseHolder(row.holder, row.holder_view, row.holder_pid, row.holder_started)

    async def release(self, account_id: int, holder: str) -> None:
        await execute_write(
            self._session,
            delete(AccountLeaseRow).where(
                AccountLeaseRow.account_id == account_id, AccountLeaseRow.holder == holder
            ),
        )
