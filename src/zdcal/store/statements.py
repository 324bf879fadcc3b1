"""Writing statements that behave alike on SQLite and PostgreSQL.

Both databases speak ``INSERT ... ON CONFLICT DO UPDATE``, but SQLAlchemy builds it with
each dialect's own ``insert``; :func:`dialect_insert` picks the right one.

Bulk writes run one upsert statement per chunk of rows as an ``executemany`` (compiled
once, cached, then executed for every row by the driver: psycopg pipelines it, sqlite3
loops in C). That is about ten times faster than a literal multi-row ``VALUES`` list,
whose compilation dominates at thousands of rows, and no bound-parameter limit applies.
Statements that do list values (``IN (...)``) are cut into chunks that stay under the
limits: SQLite 32,766 since 3.32 (999 before), PostgreSQL's protocol 32,767.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from zdcal.store.errors import UnsupportedDatabase
from zdcal.store.tables import Base

T = TypeVar("T")

_SQLITE_PARAMETERS = 32_766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
_PARAMETER_LIMITS = {"sqlite": _SQLITE_PARAMETERS, "postgresql": 32_767}
# Rows per bulk statement: bounds memory per call and the work lost to a failed chunk.
MAX_ROWS_PER_STATEMENT = 1_000


def dialect_insert(session: AsyncSession, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """An ``INSERT`` into ``model``'s table that supports ``on_conflict_do_*`` on this DB."""
    return _dialect_insert(session.get_bind().dialect.name, model)


def dialect_insert_for(
    connection: AsyncConnection, model: type[Base]
) -> sqlite.Insert | postgresql.Insert:
    """:func:`dialect_insert` on a connection (statements run outside an ORM session)."""
    return _dialect_insert(connection.dialect.name, model)


def _dialect_insert(name: str, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    table = cast(Table, model.__table__)
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise UnsupportedDatabase(f"no upsert support for {name!r}")


async def execute_write(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it touched."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount


def rows_per_statement(session: AsyncSession, columns_per_row: int) -> int:
    """How many rows of ``columns_per_row`` bound values fit in one statement."""
    limit = _PARAMETER_LIMITS.get(session.get_bind().dialect.name, 999)
    return max(1, min(MAX_ROWS_PER_STATEMENT, limit // columns_per_row))


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split ``items`` into lists of at most ``size``."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ids_chunks(session: AsyncSession, ids: Iterable[int]) -> Iterator[Sequence[int]]:
    """Distinct ids in chunks small enough for one ``IN (...)`` each."""
    return chunked(sorted(set(ids)), rows_per_statement(session, 1))
