"""``zdcal status``: what zdcal knows about each account, agent and failed ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import click

from zdcal.cli.accounts import find_account
from zdcal.cli.base import main, run_with_runtime
from zdcal.runtime import Runtime
from zdcal.store import Account, Agent, FailedTicket, SyncCursor


@dataclass
class AccountStatus:
    account: Account
    cursor: SyncCursor | None
    agents: list[Agent]
    failures: list[FailedTicket]


def age(moment: datetime | None, now: datetime) -> str:
    """'3 min ago' style wording for a past instant."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


@main.command("status")
@click.option("--account", "subdomain", help="Only this account.")
def status_command(subdomain: str | None) -> None:
    """Show accounts, agents and their state, cursor age and failed tickets."""

    async def work(runtime: Runtime) -> tuple[datetime, list[AccountStatus]]:
        found = []
        for account in await find_account(runtime, subdomain):
            async with runtime.store.transaction() as tx:
                found.append(
                    AccountStatus(
                        account,
                        await tx.cursors.get(account.id),
                        await tx.agents.for_account(account.id),
                        await tx.failures.for_account(account.id),
                    )
                )
        return runtime.clock.now(), found

    runtime_now, results = run_with_runtime(work)
    if not results:
        click.echo("no accounts; add one with 'zdcal accounts add'")
    for item in results:
        account = item.account
        click.echo(f"account {account.subdomain} ({account.base_url}, {account.auth_kind.value})")
        click.echo(f"  backfill: {account.backfill.state.value}")
        stored = item.cursor.stored_at if item.cursor else None
        click.echo(f"  change feed: last read {age(stored, runtime_now)}")
        webhook = account.webhook.id if account.webhook else "not set up"
        trigger = account.trigger.id if account.trigger else "not set up"
        click.echo(f"  webhook: {webhook}; trigger: {trigger}; last delivery "
                   f"{age(account.last_webhook_at, runtime_now)}")
        click.echo(f"  agents: {len(item.agents)}")
        for agent in item.agents:
            reason = f" ({agent.status_reason})" if agent.status_reason else ""
            click.echo(
                f"    {agent.zendesk_user_id} {agent.name}: {agent.status.value}{reason}, "
                f"calendar {agent.calendar_name or '-'}, synced "
                f"{age(agent.last_synced_at, runtime_now)}"
            )
        click.echo(f"  failed tickets: {len(item.failures)}")
        for failure in item.failures:
            click.echo(
                f"    #{failure.ticket_id}: {failure.reason} ({failure.attempts} attempts, "
                f"next try {failure.next_retry_at:%Y-%m-%d %H:%M} UTC)"
            )
