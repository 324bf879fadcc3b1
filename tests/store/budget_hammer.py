"""One process hammering a shared budget on PostgreSQL (run by test_rate_budgets_pg.py):
prints, one a line, the instant of each admission as the rule saw it ("take <t>"), or
the instants each concurrency hold was entered and left ("hold <in> <out>")."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy.ext.asyncio import AsyncConnection

from zdcal.http.budgets import Ask, Budgets
from zdcal.http.pacing import Rate
from zdcal.store import create_engine
from zdcal.store.rate_budgets import SqlLedger


class ReportingLedger(SqlLedger):
    """The real ledger, telling when it admitted (on the database's clock, as it counts;
    one ask of a scope at a time per process, so the last instant read is the ask's)."""

    last_now = 0.0

    async def _now(self, connection: AsyncConnection, given: float) -> float:
        self.last_now = await super()._now(connection, given)
        return self.last_now

    async def take(self, ask: Ask, now: float) -> float:
        wait = await super().take(ask, now)
        if wait <= 0:
            print(f"take {self.last_now!r}", flush=True)
        return wait


async def main(url: str, mode: str, scope: str, times: int) -> None:
    engine = create_engine(url)
    budgets = Budgets(ReportingLedger(engine))
    try:
        if mode == "rate":
            budget = budgets.rate(scope, (Rate(20, 1.0),), margin=0.0)
            await asyncio.gather(*(budget.acquire() for _ in range(times)))
        else:
            slots = budgets.concurrency(scope, 4)

            async def call() -> None:
                async with slots.hold():
                    entered = budgets.clock.timestamp()
                    await asyncio.sleep(0.25)
                    print(f"hold {entered!r} {budgets.clock.timestamp()!r}", flush=True)

            await asyncio.gather(*(call() for _ in range(times)))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
