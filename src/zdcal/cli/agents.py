"""``zdcal agents``: agents and their calendars (manual setup; agents can self-serve on the web)."""

from __future__ import annotations

import click

from zdcal.calendars.backend_words import served_by
from zdcal.calendars.registry import DEFAULT_BACKEND
from zdcal.cli.base import find_account, run_with_runtime
from zdcal.domain import TwoWayChoice, effective_time_zone, event_style_from_options
from zdcal.runtime import Runtime
from zdcal.store import Account, Agent, EventStyleOptions
from zdcal.sync.report import SyncReport
from zdcal.usecases.calendars import (
    AccountWork,
    connect_with_credentials,
    connect_with_tokens,
    remove_agent,
)
from zdcal.usecases.errors import AgentNotFound
from zdcal.usecases.settings import TwoWaySetting, set_agent_two_way

CALDAV_PROVIDERS = ("icloud", "fastmail", "nextcloud", "generic")
"""The CalDAV backend's provider presets (its ``providers``), named here so that
``--help`` needs no backend loaded."""
TOKEN_SERVICES = {DEFAULT_BACKEND: "Cronofy", "google": "Google", "microsoft": "Microsoft"}
"""The backends an agent connects with a token pair, by registry name: the service the
prompts name."""
CONNECTIONS = {"google": "Google tokens", "microsoft": "Microsoft tokens",
               "caldav": "a CalDAV account"}
"""What each way off Cronofy is given as, for the refusal of two at once."""


@click.group()
def agents() -> None:
    """Add, list and remove agents and their calendar connections."""


def _style(
    timed: str | None, duration: int, reminders: tuple[int, ...], private: bool
) -> EventStyleOptions:
    options: EventStyleOptions = {"all_day": timed is None, "private": private}
    if timed is not None:
        options |= {"local_time": timed, "duration_minutes": duration}
    if reminders:
        options["reminders_minutes"] = list(reminders)
    event_style_from_options(options)  # validates, with a clear message
    return options


def _work(runtime: Runtime, account: Account, report: SyncReport) -> AccountWork:
    return lambda: runtime.sync_session(account, report)


@agents.command("add")
@click.option("--account", "subdomain", required=True, help="The Zendesk account's subdomain.")
@click.option("--user-id", type=int, required=True, help="The agent's Zendesk user id.")
@click.option(
    "--cronofy-access-token", envvar="ZDCAL_CRONOFY_ACCESS_TOKEN",
    help="Or ZDCAL_CRONOFY_ACCESS_TOKEN; prompted for when absent (Cronofy agents).",
)
@click.option(
    "--cronofy-refresh-token", envvar="ZDCAL_CRONOFY_REFRESH_TOKEN",
    help="Or ZDCAL_CRONOFY_REFRESH_TOKEN; prompted for when absent (Cronofy agents).",
)
@click.option(
    "--google-access-token", envvar="ZDCAL_GOOGLE_ACCESS_TOKEN",
    help="Or ZDCAL_GOOGLE_ACCESS_TOKEN: connect Google Calendar directly instead of "
    "Cronofy (with --google-refresh-token; zdcal's Google OAuth client must have issued "
    "them).",
)
@click.option(
    "--google-refresh-token", envvar="ZDCAL_GOOGLE_REFRESH_TOKEN",
    help="Or ZDCAL_GOOGLE_REFRESH_TOKEN; prompted for when absent (Google agents).",
)
@click.option(
    "--microsoft-access-token", envvar="ZDCAL_MICROSOFT_ACCESS_TOKEN",
    help="Or ZDCAL_MICROSOFT_ACCESS_TOKEN: connect Microsoft 365 (Outlook) directly instead "
    "of Cronofy (with --microsoft-refresh-token; zdcal's Microsoft app must have issued "
    "them).",
)
@click.option(
    "--microsoft-refresh-token", envvar="ZDCAL_MICROSOFT_REFRESH_TOKEN",
    help="Or ZDCAL_MICROSOFT_REFRESH_TOKEN; prompted for when absent (Microsoft agents).",
)
@click.option(
    "--caldav-provider", type=click.Choice(CALDAV_PROVIDERS),
    help="Connect with CalDAV instead of Cronofy: icloud and fastmail need no URL; "
    "nextcloud takes the instance's URL, generic the server's (--caldav-url).",
)
@click.option("--caldav-url", help="The CalDAV server (generic) or Nextcloud instance URL.")
@click.option("--caldav-username", help="The CalDAV account's username (often the email).")
@click.option(
    "--caldav-password", envvar="ZDCAL_CALDAV_PASSWORD",
    help="Or ZDCAL_CALDAV_PASSWORD; an app password; prompted for when absent.",
)
@click.option(
    "--calendar-id",
    help="Calendar to write to (default: the primary writable one; CalDAV: its URL).",
)
@click.option("--timed", metavar="HH:MM", help="Timed events at this local time (default all-day).")
@click.option("--duration", type=int, default=30, show_default=True, help="Minutes, with --timed.")
@click.option(
    "--reminder", "reminders", type=int, multiple=True, help="Minutes before; repeatable."
)
@click.option("--private", is_flag=True, help="Summary 'Zendesk task #id' and no ticket content.")
@click.option("--time-zone", help="IANA time zone instead of the agent's Zendesk one.")
def agents_add(
    subdomain: str,
    user_id: int,
    cronofy_access_token: str | None,
    cronofy_refresh_token: str | None,
    google_access_token: str | None,
    google_refresh_token: str | None,
    microsoft_access_token: str | None,
    microsoft_refresh_token: str | None,
    caldav_provider: str | None,
    caldav_url: str | None,
    caldav_username: str | None,
    caldav_password: str | None,
    calendar_id: str | None,
    timed: str | None,
    duration: int,
    reminders: tuple[int, ...],
    private: bool,
    time_zone: str | None,
) -> None:
    """Connect an agent's calendar (Cronofy, Google or Microsoft tokens, or a CalDAV
    account) and write their open tasks."""
    style = _style(timed, duration, reminders, private)
    if time_zone:
        effective_time_zone(None, time_zone)  # validates
    given = {
        "google": (google_access_token, google_refresh_token),
        "microsoft": (microsoft_access_token, microsoft_refresh_token),
    }
    chosen = [name for name, pair in given.items() if pair != (None, None)]
    if caldav_provider is not None:
        chosen.append("caldav")
    if len(chosen) > 1:
        named = " or ".join(CONNECTIONS[name] for name in chosen)
        raise click.UsageError(f"give {named}, not {'both' if len(chosen) == 2 else 'several'}")
    backend = chosen[0] if chosen else DEFAULT_BACKEND
    if backend == "caldav":
        username = caldav_username or click.prompt("CalDAV username")
        password = caldav_password or click.prompt("CalDAV app password", hide_input=True)
    else:
        pair = given.get(backend, (cronofy_access_token, cronofy_refresh_token))
        service = TOKEN_SERVICES[backend]
        access: str = pair[0] or click.prompt(f"{service} access token", hide_input=True)
        refresh: str = pair[1] or click.prompt(f"{service} refresh token", hide_input=True)

    async def work(runtime: Runtime) -> Agent:
        (account,) = await find_account(runtime, subdomain)
        report = SyncReport()
        sync = _work(runtime, account, report)
        async with runtime.calendar_http() as calendar_http:
            # Its refusals are ValueErrors: the CLI shows their words as they are.
            if backend in TOKEN_SERVICES:
                agent = await connect_with_tokens(
                    sync, runtime.calendar_backend(backend, calendar_http), user_id,
                    access_token=access, refresh_token=refresh, calendar_id=calendar_id,
                    style=style, time_zone_override=time_zone,
                )
            else:
                assert caldav_provider is not None
                agent = await connect_with_credentials(
                    sync, runtime.calendar_backend("caldav", calendar_http), user_id,
                    provider=caldav_provider, url=caldav_url, username=username,
                    password=password, calendar_id=calendar_id, style=style,
                    time_zone_override=time_zone,
                )
        click.echo(report.summary())
        return agent

    agent = run_with_runtime(work)
    click.echo(f"connected {agent.name} <{agent.email}> to calendar {agent.calendar_name!r}")


@agents.command("list")
@click.option("--account", "subdomain", help="Only this account.")
def agents_list(subdomain: str | None) -> None:
    """List agents, their state and calendar, and which backend serves them."""

    async def work(runtime: Runtime) -> list[tuple[str, Agent, int, bool]]:
        rows = []
        for account in await find_account(runtime, subdomain):
            async with runtime.store.transaction() as tx:
                subscribed = await tx.ics_feeds.agents_with_feeds(account.id)
                for agent in await tx.agents.for_account(account.id):
                    entries = await tx.entries.for_agent(account.id, agent.zendesk_user_id)
                    rows.append((account.subdomain, agent, len(entries),
                                 agent.zendesk_user_id in subscribed))
        return rows

    rows = run_with_runtime(work)
    if not rows:
        click.echo("no agents; add one with 'zdcal agents add'")
    for sub, agent, events, has_feed in rows:
        reason = f" ({agent.status_reason})" if agent.status_reason else ""
        click.echo(
            f"{sub}\t{agent.zendesk_user_id}\t{agent.name} <{agent.email}>\t"
            f"{agent.status.value}{reason}\t{agent.calendar_name or '-'}\t{events} events\t"
            f"{served_by(agent, has_feed)}"
        )


@agents.command("remove")
@click.option("--account", "subdomain", required=True, help="The Zendesk account's subdomain.")
@click.argument("user_id", type=int)
@click.option("--keep-events", is_flag=True, help="Leave the events in the agent's calendar.")
def agents_remove(subdomain: str, user_id: int, keep_events: bool) -> None:
    """Disconnect an agent: remove their task events, revoke access, forget them."""

    async def work(runtime: Runtime) -> int:
        (account,) = await find_account(runtime, subdomain)
        return await remove_agent(
            runtime.store, _work(runtime, account, SyncReport()), account, user_id,
            keep_events=keep_events,
        )

    left = run_with_runtime(work)
    note = f"; {left} events could not be removed" if left else ""
    click.echo(f"removed agent {user_id}{note}")


@agents.command("two-way")
@click.option("--account", "subdomain", required=True, help="The Zendesk account's subdomain.")
@click.argument("user_id", type=int)
@click.argument(
    "setting", metavar="on|off|default",
    type=click.Choice([c.value for c in TwoWayChoice], case_sensitive=False),
)
def agents_two_way(subdomain: str, user_id: int, setting: str) -> None:
    """Choose whether an agent's calendar changes update Zendesk.

    on: moving a task's event changes the task's due date in Zendesk. off: moved events
    are put back. default: follow the account's setting (on unless an admin turned it
    off). Deleted events never delete or solve tickets, whatever the setting.
    """
    choice = TwoWayChoice.parse(setting)

    async def work(runtime: Runtime) -> TwoWaySetting:
        (account,) = await find_account(runtime, subdomain)
        try:
            return await set_agent_two_way(runtime.store, account, user_id, choice)
        except AgentNotFound as exc:
            raise click.ClickException(f"{exc}; see 'zdcal agents list'") from exc

    stored = run_with_runtime(work)
    click.echo(
        f"agent {user_id} ({stored.agent.name}): calendar changes update Zendesk: "
        f"{stored.describe()}"
    )
