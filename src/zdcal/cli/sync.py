"""``zdcal sync``: bring calendars up to date now."""

from __future__ import annotations

import click

from zdcal.cli.accounts import find_account
from zdcal.cli.base import main, run_with_runtime
from zdcal.runtime import Runtime
from zdcal.sync.report import SyncReport


@main.command("sync")
@click.option("--account", "subdomain", help="Only this account (default: all).")
@click.option("--verify", is_flag=True, help="Also read calendars back and repair drift.")
def sync_command(subdomain: str | None, verify: bool) -> None:
    """Read every change since the last sync and write it to the calendars.

    The first sync of an account reads all its open tasks. Failed tickets whose retry
    time has come are tried again.
    """

    async def work(runtime: Runtime) -> list[tuple[str, SyncReport]]:
        results = []
        for account in await find_account(runtime, subdomain):
            report = SyncReport()
            async with runtime.sync_session(account, report) as sync:
                with click.progressbar(
                    length=3 if verify else 2, label=f"{account.subdomain}", file=None,
                    show_eta=False,
                ) as bar:
                    await sync.sweep()
                    bar.update(1)
                    await sync.retry_failed()
                    bar.update(1)
                    if verify:
                        await sync.verify()
                        bar.update(1)
            results.append((account.subdomain, report))
        return results

    for name, report in run_with_runtime(work):
        click.echo(f"{name}: {report.summary()}")
