"""Alembic environment: runs migrations on an async engine, SQLite or PostgreSQL.

``zdcal.store.migrate`` passes an open connection in ``config.attributes["connection"]``;
the ``alembic`` command line (for writing revisions) gets the URL from its configuration
or from zdcal's settings instead.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from zdcal.store.engine import _create_engine
from zdcal.store.migrate import owned_by_alembic
from zdcal.store.tables import Base

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=owned_by_alembic,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    engine = _create_engine(url, echo=False, enforce_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def _database_url() -> str:
    # Imported here: zdcal's own upgrades pass a connection, and would otherwise load the
    # settings (slow) while they hold the database's write lock.
    from zdcal.settings import Settings

    return context.config.get_main_option("sqlalchemy.url") or Settings().database_url


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate over the connection we were handed, or over a new engine."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_with_url(_database_url()))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
