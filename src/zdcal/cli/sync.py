"""``zdcal sync``: bring calendars up to date now."""

from __future__ import annotations

import sys

import click

from zdcal.cli.base import find_account, run_with_runtime
from zdcal.clock import Clock
from zdcal.live.locks import AccountLocks
from zdcal.runtime import Runtime
from zdcal.store import BackfillState
from zdcal.sync.report import SyncReport
from zdcal.usecases.maintenance import sync_account_now


class SyncProgress:
    """Progress of one account's sync on stderr.

    On a terminal, one line redrawn in place: a counter while changes are read (the
    change feed has no known total), a bar while calendars are verified (one step per
    agent). Elsewhere (a log, a pipe), a plain line at most every ``every`` seconds.
    """

    BAR = 24

    def __init__(self, label: str, clock: Clock, *, every: float = 5.0) -> None:
        self.label = label
        self.clock = clock
        self.every = every
        self.live = sys.stderr.isatty()
        self.last_line = ""
        self.last_printed = clock.timestamp()

    def line(self, report: SyncReport) -> str:
        if report.agents_to_verify:
            done, total = report.agents_verified, report.agents_to_verify
            if self.live:
                filled = self.BAR * done // total
                bar = "#" * filled + "-" * (self.BAR - filled)
                return f"{self.label}: verifying calendars [{bar}] {done}/{total} agents"
            return f"{self.label}: verifying calendars: {done}/{total} agents"
        written = report.events_created + report.events_updated + report.events_deleted
        return f"{self.label}: {report.tickets_read} tickets read, {written} events written"

    def __call__(self, report: SyncReport) -> None:
        text = self.line(report)
        if self.live:
            # Pad over a longer line drawn before.
            click.echo(f"\r{text.ljust(len(self.last_line))}", nl=False, err=True)
            self.last_line = text
        elif text != self.last_line and self.clock.timestamp() - self.last_printed >= self.every:
            click.echo(text, err=True)
            self.last_line, self.last_printed = text, self.clock.timestamp()

    def end(self) -> None:
        if self.live and self.last_line:
            click.echo(f"\r{' ' * len(self.last_line)}\r", nl=False, err=True)


WITHHELD = (
    "nothing new was read: Zendesk's incremental export withholds the newest minute of "
    "changes, so a change made in the last minute is read by a sync a minute later"
)


@click.command("sync")
@click.option("--account", "subdomain", help="Only this account (default: all).")
@click.option("--verify", is_flag=True, help="Also read calendars back and repair drift.")
@click.option("--wait", type=float, default=60.0, show_default=True,
              help="Seconds to wait for an account that another process is syncing.")
def sync_command(subdomain: str | None, verify: bool, wait: float) -> None:
    """Read every change since the last sync and write it to the calendars.

    The first sync of an account reads all its open tasks. Failed tickets whose retry
    time has come are tried again. An account being synced by a running 'zdcal serve'
    is waited for (one account's work never runs twice at once). Progress goes to
    stderr; with --verify the summary also counts the events rewritten and strays removed.
    """

    async def work(runtime: Runtime) -> list[tuple[str, SyncReport, bool]]:
        results = []
        locks = AccountLocks(runtime.store)
        for account in await find_account(runtime, subdomain):
            following = account.backfill.state is BackfillState.DONE
            progress = SyncProgress(account.subdomain, runtime.clock)
            report = SyncReport(listener=progress)
            try:
                await sync_account_now(runtime, locks, account, report, verify=verify,
                                       wait=wait)
            finally:
                progress.end()
            results.append((account.subdomain, report, following and not report.tickets_read))
        return results

    for name, report, read_nothing in run_with_runtime(work):
        click.echo(f"{name}: {report.summary()}")
        if read_nothing:
            click.echo(f"{name}: {WITHHELD}")
