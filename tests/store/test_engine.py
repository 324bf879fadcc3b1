"""Engines and transactions: URLs, SQLite's settings, commit and rollback."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zdcal.store import Store, UnsupportedDatabase, ZendeskApiToken, create_engine
from zdcal.store.engine import database_url
from zdcal.store.vault import Vault

from .conftest import ManualClock

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/zdcal.db", "sqlite+aiosqlite:///var/zdcal.db"),
        ("sqlite+aiosqlite:///var/zdcal.db", "sqlite+aiosqlite:///var/zdcal.db"),
        ("postgres://u:p@db/zdcal", "postgresql+psycopg://u:p@db/zdcal"),
        ("postgresql://u@db:5433/zdcal", "postgresql+psycopg://u@db:5433/zdcal"),
        ("postgresql+asyncpg://u@db/zdcal", "postgresql+psycopg://u@db/zdcal"),
        ("postgresql+psycopg://u@db/zdcal", "postgresql+psycopg://u@db/zdcal"),
    ],
)
def test_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert database_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("url", ["mysql://u@db/zdcal", "postgresql+psycopg2://u@db/zdcal"])
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="not supported"):
        database_url(url)


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'sub' / 'z.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000}


async def test_a_transaction_commits_or_rolls_back_as_a_whole(store: Store) -> None:
    async def add_acme() -> None:
        async with store.transaction() as tx:
            await tx.accounts.add(
                subdomain="acme",
                base_url="https://acme.zendesk.com",
                admin_email="admin@acme.example",
                credentials=ZendeskApiToken(email="admin@acme.example", token="tok"),
            )
            if failing:
                raise RuntimeError("boom")

    failing = True
    with pytest.raises(RuntimeError, match="boom"):
        await add_acme()
    async with store.transaction() as tx:
        assert await tx.accounts.all() == []

    failing = False
    await add_acme()
    async with store.transaction() as tx:
        assert [a.subdomain for a in await tx.accounts.all()] == ["acme"]


async def test_foreign_keys_are_enforced(store: Store, clock: ManualClock) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        async with store.transaction() as tx:
            await tx.cursors.set(999, "cursor", start_time=clock.now())


async def test_concurrent_transactions_all_commit(store: Store, clock: ManualClock) -> None:
    """Writers queue for SQLite's lock instead of failing with "database is locked"."""
    async with store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain="acme",
            base_url="https://acme.zendesk.com",
            admin_email="admin@acme.example",
            credentials=ZendeskApiToken(email="admin@acme.example", token="tok"),
        )

    async def fail_ticket(ticket_id: int) -> None:
        async with store.transaction() as tx:
            assert await tx.failures.due(account.id) == []  # a read before the write
            await tx.failures.record(account.id, ticket_id, "busy")

    await asyncio.gather(*(fail_ticket(ticket_id) for ticket_id in range(20)))
    async with store.transaction() as tx:
        assert await tx.failures.count(account.id) == 20


async def test_sqlite_transactions_of_one_process_take_turns_in_the_order_asked(
    migrated_sqlite_file: Path, tmp_path: Path, vault: Vault, clock: ManualClock
) -> None:
    """SQLite has one write lock. A process's transactions queue for it in the order they
    asked, holding no connection while they wait, and each starts when the one before
    ends; left to SQLite's busy handler, each waited on a connection of its own, sleeping
    in growing steps (a drain's twenty records took up to 1.8 s,
    bench/webhook_latency.py)."""
    path = tmp_path / "zdcal.db"
    shutil.copyfile(migrated_sqlite_file, path)
    store = Store(create_engine(f"sqlite+aiosqlite:///{path}"), vault, clock)
    entered: list[int] = []
    first_in, release = asyncio.Event(), asyncio.Event()

    async def turn(number: int) -> None:
        async with store.transaction() as tx:
            await tx.session.execute(text("SELECT 1"))  # the transaction has begun
            entered.append(number)
            if number == 0:
                first_in.set()
                await release.wait()

    try:
        first = asyncio.create_task(turn(0))
        await first_in.wait()
        waiting = []
        for number in range(1, 12):
            waiting.append(asyncio.create_task(turn(number)))
            await asyncio.sleep(0.01)  # each asks after the one before
        assert store.engine.sync_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        release.set()
        await asyncio.gather(first, *waiting)
    finally:
        await store.close()
    assert entered == list(range(12))
