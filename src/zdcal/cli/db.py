"""``zdcal db``: the database schema."""

from __future__ import annotations

import asyncio

import click

from zdcal.cli.base import main, settings
from zdcal.store import current_revision, head_revision, private_directory, upgrade


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    url = settings().database_url
    private_directory(settings().data_dir)
    asyncio.run(upgrade(url))
    click.echo(f"database is at revision {asyncio.run(current_revision(url))}")


@db.command("revision")
def db_revision() -> None:
    """Show the database's schema revision and the newest one."""
    url = settings().database_url
    current = asyncio.run(current_revision(url)) or "none (empty database)"
    click.echo(f"current: {current}\nnewest:  {head_revision()}")
