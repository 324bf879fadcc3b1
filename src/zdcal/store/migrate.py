"""Bringing a database's schema up to date with Alembic (``zdcal db upgrade``).

The migrations live in ``zdcal/store/migrations`` and ship inside the package, so an
installed zdcal can upgrade its own database without an ``alembic.ini``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from zdcal.store.engine import SQLITE_MIGRATION_BUSY_TIMEOUT_MS, _create_engine
from zdcal.store.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_UPGRADE_LOCK = 0x7A64_6361_6C00  # "zdcal": the PostgreSQL advisory lock held while migrating


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic configuration pointing at zdcal's migrations (and, if given, a database)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # ConfigParser interpolates '%': a password such as 'p%40ss' must survive.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the shipped migrations define."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("zdcal ships no migrations")
    return head


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` to ``revision``; a no-op when already there.

    All steps run in one transaction (PostgreSQL and SQLite both have transactional DDL),
    so a failed upgrade leaves the schema as it was. On SQLite, foreign keys are off while
    migrating, because batch mode rebuilds tables by copy-drop-rename and dropping a parent
    table would otherwise cascade; they are checked before committing instead. Processes
    migrating at once take turns, each waiting for the one before however long it takes.
    """
    engine = _create_engine(
        database_url, echo=False, enforce_foreign_keys=False,
        sqlite_busy_timeout_ms=SQLITE_MIGRATION_BUSY_TIMEOUT_MS,
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, revision)
    finally:
        await engine.dispose()


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    """:func:`upgrade` for synchronous callers (the CLI); not for use inside an event loop."""
    asyncio.run(upgrade(database_url, revision))


async def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated."""
    engine = _create_engine(database_url, echo=False, enforce_foreign_keys=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Processes starting together (web, worker) migrate one after the other; the later
        # ones find the schema current. SQLite gets the same from BEGIN IMMEDIATE.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    if connection.dialect.name == "sqlite":
        broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            tables = sorted({str(row[0]) for row in broken})
            raise MigrationError(f"migration broke foreign keys in: {', '.join(tables)}")
