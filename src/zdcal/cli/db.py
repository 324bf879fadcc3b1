"""``zdcal db``: the database schema."""

from __future__ import annotations

import asyncio

import click

from zdcal.cli.base import missing_database, settings
from zdcal.runtime import vault_for
from zdcal.store import current_revision, head_revision, private_directory, upgrade


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (safe to run again).

    A new database gets its key too (in the data directory, unless ZDCAL_SECRET_KEY is set).
    """
    config = settings()
    private_directory(config.data_dir)
    vault_for(config)
    asyncio.run(upgrade(config.database_url))
    click.echo(f"database is at revision {asyncio.run(current_revision(config.database_url))}")


@db.command("revision")
def db_revision() -> None:
    """Show the database's schema revision and the newest one."""
    config = settings()
    if (missing := missing_database(config)) is not None:
        current = f"none (no database at {missing})"
    else:
        current = asyncio.run(current_revision(config.database_url)) or "none (empty database)"
    click.echo(f"current: {current}\nnewest:  {head_revision()}")
