"""``zdcal accounts``: the Zendesk accounts zdcal serves."""

from __future__ import annotations

import click

from zdcal.cli.base import find_account, run_with_runtime
from zdcal.domain import InvalidSubdomain
from zdcal.runtime import Runtime
from zdcal.store import Account, ZendeskApiToken
from zdcal.usecases.accounts import (
    ConnectedAccount,
    check_connectable,
    connect_account,
    remove_account,
    standard_base_url,
    valid_subdomain,
)
from zdcal.zendesk.auth import ApiTokenAuth
from zdcal.zendesk.errors import Unauthorized, Unreachable

REFUSED_CREDENTIALS = "Zendesk did not accept that email and API token; check both"


@click.group()
def accounts() -> None:
    """Connect, list and remove Zendesk accounts."""


def _subdomain(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The subdomain, lowercase, refused before anything is contacted when not a DNS label."""
    try:
        return valid_subdomain(value)
    except InvalidSubdomain as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


@accounts.command("add")
@click.argument("subdomain", callback=_subdomain)
@click.option("--email", required=True, help="Email of the Zendesk admin the token belongs to.")
@click.option(
    "--api-token",
    envvar="ZDCAL_ZENDESK_API_TOKEN",
    prompt="Zendesk API token",
    hide_input=True,
    help="The admin's API token (or ZDCAL_ZENDESK_API_TOKEN; prompted for when absent).",
)
@click.option(
    "--base-url",
    help="The account's API base URL (default https://SUBDOMAIN.zendesk.com).",
)
def accounts_add(subdomain: str, email: str, api_token: str, base_url: str | None) -> None:
    """Connect a Zendesk account with an admin's API token.

    An account already connected (at the same base URL) gets the new credentials; its
    agents, events and settings are kept. Zendesk stops accepting API tokens on 30 April
    2027; connect with OAuth from the admin page for anything meant to last.
    """
    url = (base_url or standard_base_url(subdomain)).rstrip("/")

    async def work(runtime: Runtime) -> ConnectedAccount:
        await check_connectable(runtime.store, runtime.settings, subdomain, url)
        async with runtime.http_client(None, "zendesk") as http:
            client = runtime.zendesk_client_for(url, ApiTokenAuth(email, api_token), http)
            try:
                me = await client.me()
            except Unauthorized as exc:
                raise click.ClickException(REFUSED_CREDENTIALS) from exc
            except Unreachable as exc:
                raise click.ClickException(
                    f"cannot reach Zendesk at {url}; check --base-url and the network"
                ) from exc
        if me.id is None:
            # Zendesk answers /users/me as an anonymous user for credentials it ignores.
            raise click.ClickException(REFUSED_CREDENTIALS)
        return await connect_account(
            runtime.store, runtime.settings, subdomain=subdomain, base_url=url,
            admin=me,
            credentials=ZendeskApiToken(email, api_token),
        )

    connected = run_with_runtime(work, may_create=True)
    account = connected.account
    done = "reconnected" if connected.reconnected else "connected"
    kept = "; its agents and events are kept" if connected.reconnected else ""
    click.echo(f"{done} {account.subdomain} ({account.base_url}) as {email}{kept}")


@accounts.command("list")
def accounts_list() -> None:
    """List the connected accounts."""

    async def work(runtime: Runtime) -> list[tuple[Account, int]]:
        rows = []
        async with runtime.store.transaction() as tx:
            for account in await tx.accounts.all():
                rows.append((account, len(await tx.agents.for_account(account.id))))
        return rows

    rows = run_with_runtime(work)
    if not rows:
        click.echo("no accounts; add one with 'zdcal accounts add'")
        return
    for account, agents in rows:
        click.echo(
            f"{account.subdomain}\t{account.base_url}\t{account.auth_kind.value}\t"
            f"backfill {account.backfill.state.value}\t{agents} agents"
        )


@accounts.command("remove")
@click.argument("subdomain")
@click.option("--keep-events", is_flag=True, help="Leave the events in agents' calendars.")
@click.confirmation_option(prompt="Remove the account and everything zdcal keeps for it?")
def accounts_remove(subdomain: str, keep_events: bool) -> None:
    """Remove an account: its agents' task events (unless --keep-events), then its data."""

    async def work(runtime: Runtime) -> int:
        (account,) = await find_account(runtime, subdomain)
        return await remove_account(runtime, account, keep_events=keep_events)

    left = run_with_runtime(work)
    note = f" ({left} events could not be removed)" if left else ""
    click.echo(f"removed {subdomain}{note}")
