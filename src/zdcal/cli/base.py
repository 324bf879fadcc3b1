"""The root command, shared options and the mapping of errors to plain messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import httpx
import sqlalchemy.exc

from zdcal import __version__
from zdcal.calendars.cronofy import CronofyError
from zdcal.domain import DomainError
from zdcal.live.bootstrap import BootstrapError
from zdcal.live.locks import AccountBusy
from zdcal.runtime import Runtime
from zdcal.sandbox.scenario import ScenarioError
from zdcal.settings import Settings
from zdcal.store import StoreError
from zdcal.zendesk.errors import ZendeskError

T = TypeVar("T")


class ZdcalGroup(click.Group):
    """A group that turns every expected failure into a one-line message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ZendeskError, CronofyError) as exc:
            raise click.ClickException(_api_message(exc)) from exc
        except (StoreError, DomainError, ScenarioError, BootstrapError, AccountBusy,
                ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise click.ClickException(f"network error: {exc}") from exc
        except sqlalchemy.exc.DBAPIError as exc:
            # The driver's own words ("unable to open database file", "role ... does not
            # exist"); never the URL, which may hold a password.
            raise click.ClickException(f"database error: {exc.orig}") from exc
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}") from exc


def _api_message(exc: Exception) -> str:
    api = "Zendesk" if isinstance(exc, ZendeskError) else "Cronofy"
    return f"{api}: {exc}"


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
    return Settings()


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Open the runtime (migrating the database), run ``work``, close it."""

    async def runner() -> T:
        async with await Runtime.open(settings()) as runtime:
            return await work(runtime)

    return asyncio.run(runner())
