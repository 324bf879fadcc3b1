"""The root command, shared options and the mapping of errors to plain messages.

Every command's module is imported only when that command runs (``zdcal --help`` and
quick commands start without the web, sync and database stacks): this module imports
nothing heavy at the top.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from zdcal import __version__

if TYPE_CHECKING:
    from zdcal.runtime import Runtime
    from zdcal.settings import Settings
    from zdcal.store import Account

T = TypeVar("T")

# The top-level commands: where each lives ("module:attribute") and its line in
# ``zdcal --help``, so that listing them loads none (a test keeps the lines true).
COMMANDS: dict[str, tuple[str, str]] = {
    "accounts": ("zdcal.cli.accounts:accounts", "Connect, list and remove Zendesk accounts."),
    "agents": (
        "zdcal.cli.agents:agents",
        "Add, list and remove agents and their calendar connections.",
    ),
    "bootstrap": (
        "zdcal.cli.serve:bootstrap_command",
        "Create or repair zdcal's webhook and trigger in Zendesk (safe to run again).",
    ),
    "db": ("zdcal.cli.db:db", "Manage the database schema."),
    "demo": (
        "zdcal.cli.demo:demo_command",
        "Run the whole product locally: simulated Zendesk, Cronofy, Google Calendar and "
        "Microsoft 365, seeded, and zdcal.",
    ),
    "sandbox": (
        "zdcal.cli.sandbox:sandbox_command",
        "Run the Zendesk, Cronofy, Google Calendar and Microsoft Graph simulators on "
        "127.0.0.1 until stopped (Ctrl+C).",
    ),
    "serve": (
        "zdcal.cli.serve:serve_command",
        "Run the receiver, the worker and the scheduler in one process.",
    ),
    "status": (
        "zdcal.cli.status:status_command",
        "Show each account's health, its agents and its failed tickets.",
    ),
    "sync": (
        "zdcal.cli.sync:sync_command",
        "Read every change since the last sync and write it to the calendars.",
    ),
    "zendesk-app": (
        "zdcal.cli.zendesk_app:zendesk_app",
        "Build the Zendesk app (ticket sidebar and agent settings) for this zdcal.",
    ),
    "worker": (
        "zdcal.cli.serve:worker_command",
        "Run background jobs from PostgreSQL: the worker tier (run as many as needed).",
    ),
    "teardown": (
        "zdcal.cli.serve:teardown_command",
        "Remove zdcal's webhook and trigger from Zendesk.",
    ),
}


class ZdcalGroup(click.Group):
    """The root group: loads a command's module when that command is used, and turns
    every expected failure into a one-line message, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            message = plain_message(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


def plain_message(exc: Exception) -> str | None:
    """The one line shown for an expected failure; None for anything else (a bug).

    The error types are imported here, on the failure path, not when zdcal starts.
    """
    import httpx
    import sqlalchemy.exc

    from zdcal.calendars.base import CalendarError
    from zdcal.domain import DomainError
    from zdcal.live.bootstrap import BootstrapError
    from zdcal.live.locks import AccountBusy
    from zdcal.sandbox.scenario import ScenarioError
    from zdcal.store import StoreError
    from zdcal.zendesk.errors import ZendeskError

    if isinstance(exc, ZendeskError):
        return f"Zendesk: {exc}"
    if isinstance(exc, CalendarError):
        return f"calendar: {exc}"
    if isinstance(exc, StoreError | DomainError | ScenarioError | BootstrapError | AccountBusy
                  | ValueError):
        return str(exc)
    if isinstance(exc, httpx.HTTPError):
        return f"network error: {exc}"
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        # The driver's own words ("unable to open database file", "role ... does not
        # exist"); never the URL, which may hold a password.
        return f"database error: {exc.orig}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return None


@click.group(cls=ZdcalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zdcal")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """zdcal keeps Zendesk task tickets in each assigned agent's calendar.

    Configuration comes from ZDCAL_* environment variables and an optional .env file
    (see docs/configuration.md).
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict)


def settings() -> Settings:
    """The settings, read once per command."""
    from zdcal.settings import Settings

    return Settings()


def missing_database(config: Settings) -> Path | None:
    """The SQLite file the settings name, when it does not exist (opening it would
    create it); None when it exists or the database is not a file."""
    from sqlalchemy.engine import make_url

    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(str(url.database)).resolve()
    return None if database.exists() else database


def missing_store(config: Settings) -> str | None:
    """Why the configured database or key cannot be read, else None.

    Commands that only read or change what is stored ('status', 'sync', 'accounts list')
    must not quietly start an empty database and a new key where the user meant an
    existing one (the demo's, say): they say where they looked instead.
    """
    from zdcal.runtime import KEY_FILE

    if (database := missing_database(config)) is not None:
        return (
            f"no zdcal database at {database}; point ZDCAL_DATA_DIR or ZDCAL_DATABASE_URL "
            "at yours (the demo prints how), or start one with 'zdcal db upgrade'"
        )
    configured_key = config.secret_key is not None and config.secret_key.get_secret_value()
    key_file = (config.data_dir / KEY_FILE).resolve()
    if not configured_key and not key_file.exists():
        return (
            f"no key at {key_file} and ZDCAL_SECRET_KEY is empty: stored secrets can only "
            "be read with the key that wrote them; point ZDCAL_DATA_DIR at its directory "
            "or set ZDCAL_SECRET_KEY ('zdcal db upgrade' makes a key for a new database)"
        )
    return None


def run_with_runtime(
    work: Callable[[Runtime], Awaitable[T]], *, may_create: bool = False
) -> T:
    """Open the runtime (migrating the database), run ``work``, close it.

    Only commands that set things up (``may_create``) start a new database and key.
    """
    import asyncio

    from zdcal.runtime import Runtime

    config = settings()
    if not may_create and (reason := missing_store(config)):
        raise click.ClickException(reason)

    async def runner() -> T:
        async with await Runtime.open(config) as runtime:
            return await work(runtime)

    return asyncio.run(runner())


async def find_account(runtime: Runtime, subdomain: str | None) -> list[Account]:
    """The account named, or every account; an unknown name is a clear error."""
    async with runtime.store.transaction() as tx:
        if subdomain is None:
            return await tx.accounts.all()
        account = await tx.accounts.get_by_subdomain(subdomain)
    if account is None:
        raise click.ClickException(
            f"no account {subdomain!r}; see 'zdcal accounts list' or add it with "
            "'zdcal accounts add'"
        )
    return [account]
