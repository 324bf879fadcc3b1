"""The composition root picks the budgets' ledger by database: shared in PostgreSQL (every
process of the cluster admits against it), in memory on SQLite (one process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zdcal.http.budgets import MemoryLedger
from zdcal.http.pacing import Rate
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.store.rate_budgets import SqlLedger

pytestmark = pytest.mark.anyio


async def test_the_ledger_follows_the_database(empty_database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path, database_url=empty_database_url,  # type: ignore[call-arg]
    )
    async with await Runtime.open(settings) as runtime:
        shared = empty_database_url.startswith("postgresql")
        assert isinstance(runtime.budgets.ledger, SqlLedger if shared else MemoryLedger)
        cronofy = runtime.calendar_limiter("cronofy")
        assert cronofy is runtime.calendar_limiter("cronofy")
        assert cronofy.scope == "cronofy:app"
        assert cronofy.budgets is runtime.budgets
        assert runtime.calendar_limiter("google").scope == "google:project"
        await cronofy.acquire()  # admitted against the ledger (a row on PostgreSQL)


async def test_cronofys_limits_come_from_the_settings(tmp_path: Path) -> None:
    """An application Cronofy gave other limits sets them; the default is the documented
    50 a second and 500 a minute."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
    for env, expected in [({}, (Rate(50, 1.0), Rate(500, 60.0))),
                          ({"cronofy_requests_per_second": 200,
                            "cronofy_requests_per_minute": 6000},
                           (Rate(200, 1.0), Rate(6000, 60.0)))]:
        settings = Settings(
            _env_file=None, data_dir=tmp_path, database_url=url, **env,  # type: ignore[call-arg, arg-type]
        )
        async with await Runtime.open(settings) as runtime:
            assert runtime.calendar_limiter("cronofy").rates == expected
