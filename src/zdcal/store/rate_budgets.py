"""The API budgets' ledger in the database: what every process of a cluster admits against.

Each admission is one short transaction that first locks the scope's ``rate_budgets`` row
(creating it when new), so the admissions of one scope are serialized across processes
and machines while different scopes never wait for each other; under the lock it prunes
the slots that no longer count, reads the rest, applies the rule of
:mod:`zdcal.http.budgets` and adds the request's sends. Concurrency holds work the same
way on ``rate_budget_holds``. Meant for PostgreSQL (SQLite deployments are one process and
keep their budgets in memory); the statements run on SQLite too, where its write lock
serializes them. Not exported by :mod:`zdcal.store`: commands that only read the
database do not load the HTTP layer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zdcal.http.budgets import Ask, verdict
from zdcal.store.statements import dialect_insert_for
from zdcal.store.tables import RateBudgetHoldRow, RateBudgetRow, RateBudgetSlotRow

_budgets: Any = RateBudgetRow.__table__
_slots: Any = RateBudgetSlotRow.__table__
_holds: Any = RateBudgetHoldRow.__table__


class SqlLedger:
    """A :class:`zdcal.http.budgets.Ledger` in the ``rate_budget*`` tables.

    On PostgreSQL the slots are numbered from the database server's clock, not the
    caller's ``now``: the processes of a cluster then agree on every slot boundary
    however far their machines' clocks drift apart (the rule's wait is relative, so it
    holds on either clock). ``database_clock=False`` uses the ``now`` given (tests that
    set the instants)."""

    def __init__(self, engine: AsyncEngine, *, database_clock: bool = True) -> None:
        self._engine = engine
        self._database_clock = database_clock

    async def _now(self, connection: AsyncConnection, given: float) -> float:
        """The instant the rule works at: the database's clock where it has one."""
        if not self._database_clock or connection.dialect.name != "postgresql":
            return given
        found = await connection.scalar(text("SELECT extract(epoch FROM clock_timestamp())"))
        return float(found)

    async def _lock(self, connection: AsyncConnection, scope: str) -> int | None:
        """Lock the scope's row for this transaction; its learned limit."""
        insert = dialect_insert_for(connection, RateBudgetRow).values(scope=scope)
        await connection.execute(insert.on_conflict_do_nothing(index_elements=["scope"]))
        learned: int | None = await connection.scalar(
            select(_budgets.c.learned_limit).where(_budgets.c.scope == scope).with_for_update()
        )
        return learned

    async def take(self, ask: Ask, now: float) -> float:
        async with self._engine.begin() as connection:
            windows = ask.windows_learned(await self._lock(connection, ask.scope))
            now = await self._now(connection, now)
            ours = _slots.c.scope == ask.scope
            await connection.execute(delete(_slots).where(ours, or_(*(
                and_(_slots.c.window_ms == w.key, _slots.c.slot < w.oldest_counted(now))
                for w in windows
            ))))
            rows = await connection.execute(
                select(_slots.c.window_ms, _slots.c.slot, _slots.c.used).where(ours)
            )
            used: dict[int, dict[int, int]] = {w.key: {} for w in windows}
            for window_ms, slot, count in rows:
                used.setdefault(window_ms, {})[slot] = count
            wait = verdict(ask, windows, [used[w.key] for w in windows], now)
            if wait > 0:
                return wait
            for window in windows:
                insert = dialect_insert_for(connection, RateBudgetSlotRow).values(
                    scope=ask.scope, window_ms=window.key, slot=window.slot(now),
                    used=ask.counted(window),
                )
                await connection.execute(insert.on_conflict_do_update(
                    index_elements=["scope", "window_ms", "slot"],
                    set_={"used": _slots.c.used + insert.excluded.used},
                ))
            return 0.0

    async def learn(self, scope: str, limit: int) -> None:
        async with self._engine.begin() as connection:
            await self._lock(connection, scope)
            await connection.execute(
                update(_budgets).where(_budgets.c.scope == scope).values(learned_limit=limit)
            )

    async def learned(self, scope: str) -> int | None:
        """The limit learned for ``scope``, if any (for the health page and tests)."""
        async with self._engine.connect() as connection:
            found: int | None = await connection.scalar(
                select(_budgets.c.learned_limit).where(_budgets.c.scope == scope)
            )
            return found

    async def hold(
        self, scope: str, holder: str, count: int, allowed: int, now: float, until: float
    ) -> bool:
        async with self._engine.begin() as connection:
            await self._lock(connection, scope)
            lasting = until - now
            now = await self._now(connection, now)
            until = now + lasting
            ours = _holds.c.scope == scope
            await connection.execute(delete(_holds).where(ours, _holds.c.expires_at <= now))
            held = await connection.scalar(
                select(func.coalesce(func.sum(_holds.c.taken), 0)).where(ours)
            )
            if int(held or 0) + count > allowed:
                return False
            await connection.execute(_holds.insert().values(
                scope=scope, holder=holder, taken=count, expires_at=until
            ))
            return True

    async def release(self, scope: str, holder: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(_holds).where(_holds.c.scope == scope, _holds.c.holder == holder)
            )
