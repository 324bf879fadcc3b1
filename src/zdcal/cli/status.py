"""``zdcal status``: what zdcal knows about each account, agent and failed ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import click

from zdcal.cli.base import find_account, run_with_runtime
from zdcal.runtime import Runtime
from zdcal.store import Account, Agent, FailedTicket, SyncCursor


@dataclass
class AccountStatus:
    account: Account
    cursor: SyncCursor | None
    agents: list[Agent]
    failures: list[FailedTicket]
    webhook_health: str = "not checked"
    trigger_health: str = "not checked"


def _health(found: tuple[str, str] | None, stored_id: str | None) -> str:
    """One line for an object: ``found`` is (id, state) of what Zendesk holds."""
    if found is None:
        if stored_id is None:
            return "not set up (run 'zdcal bootstrap')"
        return "missing in Zendesk (run 'zdcal bootstrap')"
    found_id, state = found
    if found_id != stored_id:
        return f"{found_id} {state}, found by name, not stored (run 'zdcal bootstrap')"
    return f"{found_id} {state}"


async def zendesk_health(runtime: Runtime, account: Account) -> tuple[str, str]:
    """Whether zdcal's webhook and trigger still exist and are active in Zendesk, found
    the way bootstrap finds them (stored id, else the marker in the name)."""
    # Imported here: 'zdcal status --offline' needs neither the API clients nor httpx.
    from zdcal.live.bootstrap import find_trigger, find_webhook
    from zdcal.zendesk.errors import ZendeskError

    async with runtime.http_client(None, "zendesk") as http:
        client = runtime.zendesk_client(account, http)
        try:
            webhook = await find_webhook(client, account)
            trigger = await find_trigger(client, account)
        except ZendeskError as exc:
            return (f"could not check: {exc}",) * 2
    webhook_state = None if webhook is None else (webhook.id, webhook.status or "unknown")
    trigger_state = (
        None if trigger is None
        else (str(trigger.id), "active" if trigger.active else "inactive")
    )
    return (
        _health(webhook_state, account.webhook.id if account.webhook else None),
        _health(trigger_state, str(account.trigger.id) if account.trigger else None),
    )


def age(moment: datetime | None, now: datetime) -> str:
    """'3 min ago' style wording for a past instant."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


@click.command("status")
@click.option("--account", "subdomain", help="Only this account.")
@click.option("--offline", is_flag=True,
              help="Do not ask Zendesk whether the webhook and trigger are healthy.")
def status_command(subdomain: str | None, offline: bool) -> None:
    """Show each account's health, its agents and its failed tickets.

    Per account: webhook and trigger health, last delivery received and change-feed age;
    each agent with their state; each failed ticket with its reason.
    """

    async def work(runtime: Runtime) -> tuple[datetime, list[AccountStatus]]:
        found = []
        for account in await find_account(runtime, subdomain):
            async with runtime.store.transaction() as tx:
                item = AccountStatus(
                    account,
                    await tx.cursors.get(account.id),
                    await tx.agents.for_account(account.id),
                    await tx.failures.for_account(account.id),
                )
            if not offline:
                item.webhook_health, item.trigger_health = await zendesk_health(runtime, account)
            found.append(item)
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
        click.echo(f"  webhook: {item.webhook_health}")
        click.echo(f"  trigger: {item.trigger_health}")
        click.echo(f"  last webhook received: {age(account.last_webhook_at, runtime_now)}")
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
