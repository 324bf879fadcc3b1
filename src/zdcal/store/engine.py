"""Connecting to the database: async engines for SQLite and PostgreSQL, and sessions.

SQLite gets write-ahead logging (readers never block the writer), enforced foreign keys,
a busy timeout instead of instant "database is locked" errors, and real transactions:
Python's sqlite3 driver (before 3.16) does not emit BEGIN for SELECTs, so SQLAlchemy
emits ``BEGIN IMMEDIATE`` itself. IMMEDIATE takes the write lock up front; a deferred
BEGIN that later writes can fail at once with SQLITE_BUSY when another connection wrote
in between, which the busy timeout cannot cure. zdcal's transactions are short, so
serialising them costs little; within one process they queue in order for the lock
(:meth:`zdcal.store.Store.transaction`), and only other processes meet the busy timeout.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from zdcal.store.errors import UnsupportedDatabase
from zdcal.store.private_files import private_database_file

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A migration waits for another process's migration to end, however long that takes
# (PostgreSQL's advisory lock waits without limit too): the first on a new database holds
# the write lock for all of its work, which a loaded machine can stretch past 10 s.
SQLITE_MIGRATION_BUSY_TIMEOUT_MS = 10 * 60_000

# The async drivers zdcal ships with; plain URLs (``postgres://``, ``sqlite://``) get them.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    # asyncpg is no longer shipped; its URLs (operators', CI's) keep working on psycopg 3.
    "postgresql+asyncpg": "postgresql+psycopg",
}


def database_url(url: str | URL) -> URL:
    """Parse a database URL and give it zdcal's async driver.

    ``postgres://``, ``postgresql://`` and ``postgresql+asyncpg://`` become
    ``postgresql+psycopg://`` (psycopg 3, the one PostgreSQL driver); ``sqlite://``
    becomes ``sqlite+aiosqlite://``. Any other backend raises :class:`UnsupportedDatabase`.
    """
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabase(
            f"database {parsed.drivername!r} is not supported: use sqlite+aiosqlite:///path "
            "or postgresql+psycopg://user@host/db"
        )
    return parsed.set(drivername=driver)


def libpq_url(url: str | URL) -> str:
    """The PostgreSQL URL as libpq (psycopg, the job engine's pool) reads it: no driver
    suffix, password included."""
    parsed = database_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for a SQLite or PostgreSQL URL, tuned for zdcal.

    For a SQLite file, its directory is created when missing (0700) and the file is
    created private (0600) before SQLite opens it.
    """
    return _create_engine(url, echo=echo, enforce_foreign_keys=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; objects stay readable after commit (no lazy reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _create_engine(
    url: str | URL, *, echo: bool, enforce_foreign_keys: bool,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> AsyncEngine:
    """Create an engine; migrations turn foreign keys off and wait longer for SQLite's lock
    (see ``zdcal.store.migrate``)."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo, enforce_foreign_keys=enforce_foreign_keys,
                              busy_timeout_ms=sqlite_busy_timeout_ms)
    return _create_async_engine(
        parsed,
        echo=echo,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,  # survive server restarts and idle-connection reaping
        pool_recycle=1800,
    )


def _switch_to_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another process holds the lock, for
    as long as the busy timeout.

    Processes opening a brand-new database at once (a server and its CLI, tests) race for
    the switch; the loser can be told "database is locked" at once, whatever the busy
    timeout says.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05 + random.random() * 0.05)


def _sqlite_engine(
    url: URL, *, echo: bool, enforce_foreign_keys: bool, busy_timeout_ms: int
) -> AsyncEngine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        private_database_file(Path(url.database).expanduser())
    engine = _create_async_engine(url, echo=echo)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The timeout first: switching a new database to WAL needs a lock and may wait.
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        _switch_to_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
