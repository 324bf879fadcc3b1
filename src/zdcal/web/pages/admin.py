"""The admin page: the account's health, its agents (with their two-way setting), failed
tickets, the account-wide two-way default, default style and due-date reading, and the
buttons to resync an agent, run verify and re-run bootstrap (all done by the background
workers)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.domain import (
    InvalidDueDateRule,
    InvalidEventStyle,
    InvalidTwoWayChoice,
    TwoWayChoice,
    due_date_reading,
    parse_id,
)
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus, EventStyleOptions, RunKind
from zdcal.sync.due_dates import DueDateChoiceError, due_date_example, due_date_rule
from zdcal.usecases import settings as choices
from zdcal.usecases.errors import AgentNotFound
from zdcal.usecases.maintenance import request_agent_resync
from zdcal.web.pages.agent_directory import AgentDirectory, StaffList, StaffMember
from zdcal.web.pages.agent_records import AgentOverview, overview
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.due_date_form import day_text, due_date_choices, reading_label
from zdcal.web.pages.errors import AccountUnknown
from zdcal.web.pages.event_style_form import form_values, style_options_from_form
from zdcal.web.pages.identity import require_admin
from zdcal.web.pages.paging import page_of
from zdcal.web.pages.rendering import flash, render
from zdcal.zendesk.errors import ZendeskError
from zdcal.zendesk.models import RateLimitStatus

RATE_PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class ZendeskHealth:
    """What a single ``/users/me`` call tells: do the credentials work, and the headroom."""

    credentials_ok: bool
    problem: str | None
    rate_limit: RateLimitStatus | None


@dataclass(frozen=True)
class AgentListing:
    """A row of the agents table: someone who signed in to zdcal (``agent``, with their
    ``overview`` once the row is shown), or an agent Zendesk lists who never did."""

    agent: Agent | None = None
    member: StaffMember | None = None
    overview: AgentOverview | None = None
    is_viewer: bool = False


@dataclass(frozen=True)
class AgentCounts:
    """How many of the account's agents are where, for the line above the table."""

    in_zendesk: int | None  # None: Zendesk's list could not be read
    connected: int
    needs_reconnect: int
    without_calendar: int
    not_signed_in: int


def agent_listing(
    agents: list[Agent], staff: StaffList, viewer_id: int
) -> tuple[list[AgentListing], AgentCounts]:
    """Everyone who signed in, then every agent and admin Zendesk lists who never did."""
    stored = {a.zendesk_user_id for a in agents}
    never = sorted(
        (m for m in staff.members if m.zendesk_user_id not in stored),
        key=lambda m: (m.name.lower(), m.zendesk_user_id),
    )
    rows = [AgentListing(agent=a, is_viewer=a.zendesk_user_id == viewer_id) for a in agents]
    rows += [AgentListing(member=m) for m in never]
    counts = AgentCounts(
        in_zendesk=len(staff.members) if staff.read_at is not None else None,
        connected=sum(a.status is AgentStatus.ACTIVE for a in agents),
        needs_reconnect=sum(a.status is AgentStatus.NEEDS_RECONNECT for a in agents),
        without_calendar=sum(a.status is AgentStatus.DISCONNECTED for a in agents),
        not_signed_in=len(never),
    )
    return rows, counts


def invitation_url(services: Services, account: Account) -> str:
    """The link that signs an agent of this account in to zdcal (through Zendesk)."""
    return f"{services.settings.public_url}/signin?{urlencode({'account': account.subdomain})}"


async def admin_page(request: Request) -> Response:
    services: Services = request.state.services
    user = require_admin(request)
    account = await _account(services, user.account_id)
    directory: AgentDirectory = request.app.state.agent_directory
    zendesk, fresh, staff = await asyncio.gather(
        _zendesk_health(services, account),
        choices.account_with_fresh_time_zone(services, account, request.state.workers),
        directory.staff(services, account),
    )
    in_effect = due_date_rule(fresh).reading
    account = fresh
    example = await due_date_example(services.store, account)
    example_day = example.shown_on.get(in_effect) if example else None
    async with services.store.transaction() as tx:
        agents = await tx.agents.for_account(account.id)
        failures = await tx.failures.for_account(account.id)
        cursor = await tx.cursors.get(account.id)
        runs = await tx.sync_runs.latest(account.id)
        open_tasks = await tx.tickets.count_open_tasks(account.id)
        events_in_calendars = await tx.entries.count(account.id)
    listing, counts = agent_listing(agents, staff, user.zendesk_user_id)
    shown = page_of(listing, request.query_params.get("page"))
    rows = [
        replace(row, overview=await overview(services, account, row.agent))
        if row.agent is not None else row
        for row in shown.items
    ]
    progress = await request.state.workers.progress(account.id)
    working = progress.get("running") is not None or account.backfill.state.value != "done"
    return render(
        request, "admin.html",
        account=account,
        agents=replace(shown, items=rows),
        agent_counts=counts,
        staff=staff,
        invitation=invitation_url(services, account),
        failures=failures,
        names={a.zendesk_user_id: a.name for a in agents},
        cursor_saved=cursor.stored_at if cursor else None,
        progress=progress,
        last_sweep=runs.get(RunKind.SWEEP),
        last_verify=runs.get(RunKind.VERIFY),
        open_tasks=open_tasks,
        events_in_calendars=events_in_calendars,
        refresh=working,
        zendesk=zendesk,
        default_style=form_values(account.default_style or {}),
        due_date_example=example,
        example_day=day_text(example_day) if example_day else None,
        due_date_choices=due_date_choices(in_effect, account.time_zone, example),
    )


async def resync_agent(request: Request) -> Response:
    services: Services = request.state.services
    form = await checked_form(request)
    user = require_admin(request)
    agent_id = parse_id(str(form.get("agent_id", "")).strip())
    try:
        agent = await request_agent_resync(services.store, user.account_id, agent_id,
                                           request.state.workers)
    except AgentNotFound:
        flash(request, "No such agent in this account.", error=True)
    else:
        flash(request, f"Resync of {agent.name}'s calendar started.")
    return RedirectResponse("/admin", status_code=303)


async def save_two_way_default(request: Request) -> Response:
    """Whether calendar changes update Zendesk for every agent who did not choose."""
    services: Services = request.state.services
    form = await checked_form(request)
    user = require_admin(request)
    try:
        enabled = await choices.set_account_two_way_default(
            services.store, user.account_id,
            TwoWayChoice.parse(str(form.get("two_way_default", ""))),
        )
    except InvalidTwoWayChoice as exc:
        flash(request, f"Not saved: {exc}.", error=True)
        return RedirectResponse("/admin", status_code=303)
    flash(request, "Saved. For agents who follow the account default, moving a task's event "
                   + ("now changes its due date in Zendesk." if enabled
                      else "no longer changes Zendesk: the event is put back."))
    return RedirectResponse("/admin", status_code=303)


async def save_default_style(request: Request) -> Response:
    """The event style of every agent who has not chosen one; their events are rewritten."""
    services: Services = request.state.services
    form = await checked_form(request)
    user = require_admin(request)
    style: EventStyleOptions | None = None
    if not form.get("reset"):
        try:
            style = style_options_from_form(form)
        except (InvalidEventStyle, ValueError) as exc:
            flash(request, f"Not saved: {exc}", error=True)
            return RedirectResponse("/admin", status_code=303)
    await choices.set_account_default_style(services.store, user.account_id, style,
                                            request.state.workers)
    flash(request, "Saved. Events of agents without their own style are being rewritten."
          if style else "Back to zdcal's defaults for agents without their own style.")
    return RedirectResponse("/admin", status_code=303)


async def save_due_date_reading(request: Request) -> Response:
    """How the account's due_at values are read as dates; every agent's events follow."""
    services: Services = request.state.services
    form = await checked_form(request)
    user = require_admin(request)
    try:
        reading = due_date_reading(str(form.get("due_date_reading", "")))
    except InvalidDueDateRule as exc:
        flash(request, f"Not saved: {exc}.", error=True)
        return RedirectResponse("/admin", status_code=303)
    account = await _account(services, user.account_id)
    try:
        await choices.choose_due_date_reading(services, account, reading,
                                              request.state.workers)
    except DueDateChoiceError as exc:
        flash(request, f"Not saved: {exc}.", error=True)
        return RedirectResponse("/admin", status_code=303)
    flash(request, f"Saved: due dates are read as {reading_label(reading)}. "
                   "Every agent's task events are being rewritten.")
    return RedirectResponse("/admin", status_code=303)


async def run_verify(request: Request) -> Response:
    await checked_form(request)
    user = require_admin(request)
    request.state.workers.request_verify(user.account_id)
    flash(request, "Verify started: zdcal compares every calendar with Zendesk and repairs.")
    return RedirectResponse("/admin", status_code=303)


async def run_bootstrap(request: Request) -> Response:
    await checked_form(request)
    user = require_admin(request)
    request.state.workers.request_bootstrap(user.account_id)
    flash(request, "Bootstrap started: zdcal checks and repairs its webhook and trigger.")
    return RedirectResponse("/admin", status_code=303)


async def _account(services: Services, account_id: int) -> Account:
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(account_id)
    if account is None:
        raise AccountUnknown("This Zendesk account is no longer connected.")
    return account


async def _zendesk_health(services: Services, account: Account) -> ZendeskHealth:
    client = services.runtime.zendesk_client(account, services.zendesk_http)
    try:
        await asyncio.wait_for(client.me(), RATE_PROBE_TIMEOUT)
    except TimeoutError:
        return ZendeskHealth(False, "Zendesk did not answer in time", client.rate_limit)
    except ZendeskError as exc:
        return ZendeskHealth(False, str(exc), client.rate_limit)
    return ZendeskHealth(True, None, client.rate_limit)

