"""Migrations: they build the schema from nothing, are idempotent, and match the models."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, inspect

from zdcal.store import create_engine, current_revision, head_revision, upgrade, upgrade_sync
from zdcal.store.engine import SQLITE_BUSY_TIMEOUT_MS
from zdcal.store.migrate import JOB_TABLE_PREFIX, owned_by_alembic, shipped_head
from zdcal.store.tables import Base

pytestmark = pytest.mark.anyio

TABLES = {
    "accounts",
    "agents",
    "tickets",
    "ics_feeds",
    "calendar_entries",
    "sync_cursors",
    "failed_tickets",
    "pending_notifications",
    "account_leases",
    "token_refresh_leases",
    "mail_outbox",
    "suppressed_events",
    "pending_calendar_reads",
    "web_sessions",
    "webhook_deliveries",
    "sync_runs",
    "rate_budgets",
    "rate_budget_slots",
    "rate_budget_holds",
    "alembic_version",
}


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True,
                          "include_name": owned_by_alembic}
    )
    return list(compare_metadata(context, metadata))


async def _schema_differences(url: str, metadata: MetaData) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences, metadata)
    finally:
        await engine.dispose()


async def test_upgrade_builds_every_table_from_nothing(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    await upgrade(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision()

    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    job_tables = {name for name in names if name.startswith(JOB_TABLE_PREFIX)}
    assert names - job_tables == TABLES
    # The job engine's schema, on PostgreSQL only (docs/scale.md).
    assert ("procrastinate_jobs" in job_tables) == empty_database_url.startswith("postgres")


async def test_upgrade_is_idempotent_and_leaves_no_drift(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    await upgrade(empty_database_url)  # nothing to do: must neither fail nor change anything
    assert await current_revision(empty_database_url) == head_revision()
    assert await _schema_differences(empty_database_url, Base.metadata) == []


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    """upgrade() skips Alembic for a database at this head: it must be the real one."""
    assert shipped_head() == head_revision()


async def test_a_database_behind_the_head_is_still_migrated(empty_database_url: str) -> None:
    await upgrade(empty_database_url, "0001")
    assert await current_revision(empty_database_url) == "0001"

    await upgrade(empty_database_url)

    assert await current_revision(empty_database_url) == head_revision()


async def test_concurrent_upgrades_take_turns(empty_database_url: str) -> None:
    """Processes starting at once (web and worker) must not both create the tables."""
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(3)))
    assert await current_revision(empty_database_url) == head_revision()


async def test_drift_would_be_noticed(empty_database_url: str) -> None:
    """The no-drift check can fail: a model change without a migration shows up."""
    await upgrade(empty_database_url)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["tickets"].append_column(Column("story_points", Integer))

    differences = await _schema_differences(empty_database_url, changed)
    assert [(kind, column.name) for kind, *_, column in differences] == [
        ("add_column", "story_points")
    ]


def test_upgrade_sync_creates_the_sqlite_directory(tmp_path: Any) -> None:
    path = tmp_path / "var" / "nested" / "zdcal.db"
    upgrade_sync(f"sqlite:///{path}")  # a plain sqlite URL gets the async driver
    assert path.exists()


@pytest.mark.slow
def test_an_upgrade_waits_out_another_migration_longer_than_the_busy_timeout(
    tmp_path: Any,
) -> None:
    """A loaded machine can stretch the first migration of a new SQLite file past the
    busy timeout of ordinary transactions; a process starting beside it must wait."""
    path = tmp_path / "zdcal.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("BEGIN IMMEDIATE")  # another process, migrating for a long while
        other.execute("CREATE TABLE its_work (id INTEGER)")
        done = threading.Timer(SQLITE_BUSY_TIMEOUT_MS / 1000 + 2, other.execute, ["COMMIT"])
        done.start()
        upgrade_sync(f"sqlite+aiosqlite:///{path}")
        done.join()
    finally:
        other.close()
    assert asyncio.run(current_revision(f"sqlite+aiosqlite:///{path}")) == head_revision()
