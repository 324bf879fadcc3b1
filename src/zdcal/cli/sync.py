"""``zdcal sync``: bring calendars up to date now."""

from __future__ import annotations

import sys

import click

from zdcal.cli.base import find_account, run_with_runtime
from zdcal.live.locks import AccountLocks
from zdcal.runtime import Runtime
from zdcal.sync.report import SyncReport


class ProgressLine:
    """A one-line live counter on a terminal (sweeps have no known total up front)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.live = sys.stderr.isatty()

    def __call__(self, report: SyncReport) -> None:
        if self.live:
            written = report.events_created + report.events_updated + report.events_deleted
            click.echo(
                f"\r{self.label}: {report.tickets_read} tickets read, {written} events written",
                nl=False, err=True,
            )

    def end(self) -> None:
        if self.live:
            click.echo("", err=True)


@click.command("sync")
@click.option("--account", "subdomain", help="Only this account (default: all).")
@click.option("--verify", is_flag=True, help="Also read calendars back and repair drift.")
@click.option("--wait", type=float, default=60.0, show_default=True,
              help="Seconds to wait for an account that another process is syncing.")
def sync_command(subdomain: str | None, verify: bool, wait: float) -> None:
    """Read every change since the last sync and write it to the calendars.

    The first sync of an account reads all its open tasks. Failed tickets whose retry
    time has come are tried again. An account being synced by a running 'zdcal serve'
    is waited for (one account's work never runs twice at once).
    """

    async def work(runtime: Runtime) -> list[tuple[str, SyncReport]]:
        results = []
        locks = AccountLocks(runtime.store)
        for account in await find_account(runtime, subdomain):
            progress = ProgressLine(account.subdomain)
            report = SyncReport(listener=progress)
            async with (
                locks.hold(account.id, wait=wait),
                runtime.sync_session(account, report) as sync,
            ):
                await sync.sweep()
                await sync.retry_failed()
                if verify:
                    await sync.verify()
            progress.end()
            results.append((account.subdomain, report))
        return results

    for name, report in run_with_runtime(work):
        click.echo(f"{name}: {report.summary()}")
