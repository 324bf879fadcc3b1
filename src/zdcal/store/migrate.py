"""Bringing a database's schema up to date with Alembic (``zdcal db upgrade``).

The migrations live in ``zdcal/store/migrations`` and ship inside the package, so an
installed zdcal can upgrade its own database without an ``alembic.ini``.
"""

from __future__ import annotations

import asyncio
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy.exc
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from zdcal.store.engine import SQLITE_MIGRATION_BUSY_TIMEOUT_MS, _create_engine
from zdcal.store.errors import MigrationError

# Alembic is imported only where a migration really runs: a command opening a current
# database ('zdcal status') checks the revision without it and starts faster.
if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_UPGRADE_LOCK = 0x7A64_6361_6C00  # "zdcal": the PostgreSQL advisory lock held while migrating


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic configuration pointing at zdcal's migrations (and, if given, a database)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # ConfigParser interpolates '%': a password such as 'p%40ss' must survive.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the shipped migrations define."""
    from alembic.script import ScriptDirectory

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
        if revision == "head" and await _at_shipped_head(engine):
            return
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, revision)
    finally:
        await engine.dispose()


def shipped_head() -> str | None:
    """The head revision, read from the migration files' assignments without importing
    them (or Alembic); None unless that gives exactly one head. Read once per process.

    A pattern, not ``ast``: CPython 3.11.7's ``ast.parse`` keeps a recursion count shared
    by all threads, and a server thread starting while another thread parsed failed with
    "AST constructor recursion depth mismatch" (gh-106905)."""
    return _read_shipped_head()


_ASSIGNMENT = re.compile(
    r"^(?P<name>revision|down_revision)\s*(?::[^=\n]*)?=\s*(?P<value>.+)$", re.MULTILINE
)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@functools.cache
def _read_shipped_head() -> str | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for found in _ASSIGNMENT.finditer(path.read_text(encoding="utf-8")):
            names = _QUOTED.findall(found["value"])
            (revisions if found["name"] == "revision" else parents).update(names)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def _at_shipped_head(engine: AsyncEngine) -> bool:
    """Whether the database is already at the one shipped head (nothing to migrate)."""
    head = shipped_head()
    if head is None:
        return False
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version")))
            if [row[0] for row in rows] != [head]:
                return False
            return connection.dialect.name != "postgresql" or await connection.run_sync(
                _has_job_schema
            )
    except sqlalchemy.exc.DBAPIError:
        return False  # no schema yet, or not a database: the full path says which


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    """:func:`upgrade` for synchronous callers (the CLI); not for use inside an event loop."""
    asyncio.run(upgrade(database_url, revision))


async def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = _create_engine(database_url, echo=False, enforce_foreign_keys=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # Processes starting together (web, worker) migrate one after the other; the later
        # ones find the schema current. SQLite gets the same from BEGIN IMMEDIATE.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    if connection.dialect.name == "postgresql" and not _has_job_schema(connection):
        _apply_job_schema(connection)
    if connection.dialect.name == "sqlite":
        broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            tables = sorted({str(row[0]) for row in broken})
            raise MigrationError(f"migration broke foreign keys in: {', '.join(tables)}")


JOB_TABLE_PREFIX = "procrastinate_"


def owned_by_alembic(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: the job engine's tables are procrastinate's, not
    zdcal's migrations' (autogenerate must neither drop nor compare them)."""
    return not (type_ == "table" and (name or "").startswith(JOB_TABLE_PREFIX))


def _has_job_schema(connection: Connection) -> bool:
    """Whether procrastinate's tables exist (docs/scale.md: the job engine)."""
    found = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    return found is not None


def _apply_job_schema(connection: Connection) -> None:
    """Create the job engine's schema (PostgreSQL only), in the upgrade's transaction.

    procrastinate versions its own schema (its ``sql/migrations``), so it is not an
    Alembic migration: a new database gets the pinned version's full schema here; a
    procrastinate version bump ships its migration files, applied as docs/scale.md says.
    """
    from procrastinate.schema import SchemaManager

    # Several statements with '%' in PL/pgSQL: straight to the driver, no parameters.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(SchemaManager.get_schema())
    finally:
        cursor.close()
