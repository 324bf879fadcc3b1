"""The database ledger: several processes admitting against one scope never go over it.

Each process is a real ``python`` running :mod:`budget_hammer` on its own connections;
the admissions they report are counted per window afterwards.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from zdcal.clock import SystemClock
from zdcal.http.budgets import HOLD_SECONDS, Budgets, WorkClass, working
from zdcal.http.pacing import Rate
from zdcal.store import create_engine
from zdcal.store.rate_budgets import SqlLedger

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

HAMMER = Path(__file__).with_name("budget_hammer.py")
SRC = Path(__file__).parents[2] / "src"


def most_in_any_window(times: list[float], span: float) -> int:
    """The largest number of instants inside any half-open window (t - span, t]."""
    times = sorted(times)
    return max(i + 1 - bisect.bisect_right(times, t - span) for i, t in enumerate(times))


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                   key=lambda edge: (edge[0], edge[1]))
    inside = most = 0
    for _, step in edges:
        inside += step
        most = max(most, inside)
    return most


def hammer(url: str, mode: str, scope: str, times: int, processes: int) -> list[str]:
    """Run ``processes`` hammers at once; every line they printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HAMMER.parent)])}
    running = [
        subprocess.Popen([sys.executable, str(HAMMER), url, mode, scope, str(times)],
                         stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(processes)
    ]
    lines: list[str] = []
    try:
        for process in running:
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 0
            lines += out.splitlines()
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    return lines


@pytest.fixture
async def ledger(migrated_postgres_url: str) -> AsyncIterator[SqlLedger]:
    """A ledger on the instants each test gives (not the database's clock)."""
    engine = create_engine(migrated_postgres_url)
    try:
        yield SqlLedger(engine, database_clock=False)
    finally:
        await engine.dispose()


def test_three_processes_never_exceed_one_shared_rate(migrated_postgres_url: str) -> None:
    scope = f"test:{uuid.uuid4().hex}"
    lines = hammer(migrated_postgres_url, "rate", scope, 30, 3)
    admitted = [float(line.split()[1]) for line in lines if line.startswith("take ")]
    assert len(admitted) == 90
    assert most_in_any_window(admitted, 1.0) <= 20
    # ...and the limit was used, not starved: 90 at 20 a second took a few seconds.
    assert max(admitted) - min(admitted) < 8.0


def test_three_processes_never_hold_more_than_four_slots(migrated_postgres_url: str) -> None:
    scope = f"test:{uuid.uuid4().hex}"
    lines = hammer(migrated_postgres_url, "hold", scope, 8, 3)
    held = [(float(a), float(b)) for _, a, b in (line.split() for line in lines)]
    assert len(held) == 24
    assert most_at_once(held) == 4


async def test_slots_of_a_killed_holder_come_back_after_the_expiry(ledger: SqlLedger) -> None:
    scope = f"test:{uuid.uuid4().hex}"
    now = 1_000_000.0
    assert await ledger.hold(scope, "killed", 4, 4, now, now + HOLD_SECONDS)
    assert not await ledger.hold(scope, "next", 1, 4, now + 1, now + 1 + HOLD_SECONDS)
    later = now + HOLD_SECONDS
    assert await ledger.hold(scope, "next", 1, 4, later, later + HOLD_SECONDS)
    await ledger.release(scope, "next")
    assert await ledger.hold(scope, "after", 4, 4, later, later + HOLD_SECONDS)


@pytest.fixture
async def two_engines(migrated_postgres_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Two connection pools, as two processes have (the subprocess tests above run real
    processes; these need to steer both sides from one test)."""
    engines = [create_engine(migrated_postgres_url) for _ in range(2)]
    try:
        yield engines
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_learned_limit_is_shared_by_every_process(
    two_engines: list[AsyncEngine],
) -> None:
    scope = f"zendesk:account:{uuid.uuid4().hex[:8]}"
    one, other = (Budgets(SqlLedger(engine)) for engine in two_engines)
    await one.rate(scope, (Rate(2, 60.0),)).learn(5)
    budget = other.rate(scope, (Rate(2, 60.0),))
    for _ in range(5):  # beyond the default 2: the other process learned 5
        await asyncio.wait_for(budget.acquire(), 2.0)
    assert await SqlLedger(two_engines[0]).learned(scope) == 5


async def test_a_bulk_flood_elsewhere_leaves_room_for_a_live_change(
    two_engines: list[AsyncEngine],
) -> None:
    scope = f"test:{uuid.uuid4().hex}"
    flooding, live = (Budgets(SqlLedger(engine)) for engine in two_engines)
    bulk_budget = flooding.rate(scope, (Rate(10, 60.0),))

    async def flood() -> None:
        with working(WorkClass.BULK, 1):
            await asyncio.gather(*(bulk_budget.acquire() for _ in range(20)))

    flood_task = asyncio.create_task(flood())
    await asyncio.sleep(0.5)  # the flood has taken its 7 and waits for a minute
    live_budget = live.rate(scope, (Rate(10, 60.0),))
    with working(WorkClass.LIVE, 2):
        for _ in range(3):
            await asyncio.wait_for(live_budget.acquire(), 1.0)
    assert not flood_task.done()
    flood_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flood_task


async def test_processes_whose_clocks_disagree_share_the_database_clock(
    two_engines: list[AsyncEngine],
) -> None:
    scope = f"test:{uuid.uuid4().hex}"
    behind, ahead = (
        Budgets(SqlLedger(engine), clock=SystemClock(offset_seconds=offset))
        for engine, offset in zip(two_engines, (-30.0, 30.0), strict=True)
    )
    budgets = [b.rate(scope, (Rate(5, 1.0),), margin=0.0) for b in (behind, ahead)]
    started = time.monotonic()
    await asyncio.gather(*(budget.acquire() for budget in budgets for _ in range(5)))
    # On their own clocks each would have sent its 5 at once (a minute apart); on the
    # database's, 5 go now and 5 a window later.
    assert time.monotonic() - started >= 1.0
