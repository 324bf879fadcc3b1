"""The agent's page: connect a calendar (or subscribe to a feed of their tasks), choose it
and the event style, see their open tasks and what became of each, switch calendar,
choose whether calendar changes update Zendesk, disconnect, and reconnect after the
authorization broke."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from zdcal.calendars import registry
from zdcal.calendars.base import CalendarAuthorizationLost, CalendarError, Connection
from zdcal.domain import (
    InvalidEventStyle,
    InvalidTwoWayChoice,
    TwoWayChoice,
)
from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus
from zdcal.sync.due_dates import account_info
from zdcal.usecases import ics_feeds
from zdcal.usecases import settings as choices
from zdcal.usecases.calendars import (
    LOST,
    AccountWork,
    CalendarChoiceError,
    offered_calendars,
    switch,
)
from zdcal.usecases.calendars import disconnect as disconnect_calendar
from zdcal.web.pages.agent_records import overview, signed_in_agent
from zdcal.web.pages.agent_tasks import page_number, recent_failures, task_list
from zdcal.web.pages.caldav_connect import take_tried
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.errors import CalendarProblem
from zdcal.web.pages.event_style_form import (
    EventPreview,
    form_values,
    preview_event,
    style_options_from_form,
)
from zdcal.web.pages.identity import require_user
from zdcal.web.pages.rendering import flash, render, templates
from zdcal.web.pages.subscription import take_new_link

LOCK_WAIT_SECONDS = 15.0
FAILURES_SHOWN = 3  # on the status card; the task list shows the state of every task
BUSY = "zdcal is busy with your account right now; please try again in a minute."


async def agent_page(request: Request) -> Response:
    services: Services = request.state.services
    account, agent = await signed_in_agent(services, require_user(request))
    page = page_number(request.query_params.get("page"))
    offered = await offered_calendars(services.store, services.calendars, agent)
    agent = offered.agent
    calendar_error = (
        "Your calendar service did not answer; the list will be back soon."
        if offered.unavailable else None
    )
    # An agent who never chose sees (and gets) the account's default style.
    chosen = agent.style or account.default_style or {}
    time_zone = agent.effective_time_zone
    zone = ZoneInfo(time_zone)
    subscription = await ics_feeds.subscription_of(services.store, account, agent)
    return render(
        request, "agent.html",
        info=await overview(services, account, agent),
        choosing=agent.has_credentials and agent.status is AgentStatus.ACTIVE
        and agent.calendar_id is None,
        calendars=offered.calendars,
        suggested_calendar=offered.suggested.calendar_id if offered.suggested else None,
        calendar_error=calendar_error,
        style=form_values(chosen),
        preview=_preview(account, agent, chosen, services),
        time_zone=time_zone,
        tasks=await task_list(services, account, agent, zone, page,
                              subscribed=subscription is not None),
        failures=await recent_failures(services, account, agent, zone, limit=FAILURES_SHOWN),
        subscription=subscription,
        new_link=take_new_link(request),
        caldav_tried=take_tried(request),
        connect_buttons=connect_buttons(services),
        max_reminders=max_reminders(services, agent),
    )


def max_reminders(services: Services, agent: Agent) -> int | None:
    """How many reminders the agent's calendar keeps per event (None: no calendar
    linked): the style form says so when it keeps only one (Outlook)."""
    if not agent.has_credentials:
        return None
    return services.calendars.capabilities(agent).max_reminders


CONNECT_BUTTONS = {
    "google": ("connect-google", "Connect Google Calendar"),
    "microsoft": ("connect-microsoft", "Connect Outlook (Microsoft 365)"),
    "cronofy": ("connect-calendar", "Connect a calendar"),
}
"""Each OAuth backend's button on the agent page: its element id and words."""
THROUGH_CRONOFY = "Other calendars (Cronofy)"
"""Cronofy's words beside a direct backend's button: it serves the other services."""


def connect_buttons(services: Services) -> list[tuple[str, str, str]]:
    """(backend, button id, words) for each OAuth backend the operator set up, direct
    services first."""
    offered = registry.offered(services.settings, Connection.OAUTH)
    buttons = []
    for name in sorted(offered, key=lambda n: n == "cronofy"):
        button_id, words = CONNECT_BUTTONS.get(name, (f"connect-{name}", f"Connect {name}"))
        if name == "cronofy" and len(offered) > 1:
            words = THROUGH_CRONOFY
        buttons.append((name, button_id, words))
    return buttons


async def style_preview_fragment(request: Request) -> Response:
    """The live preview's fragment for the style form's current values (no state changes;
    fetched by preview.js, so never a page of its own)."""
    services: Services = request.state.services
    account, agent = await signed_in_agent(services, require_user(request))
    preview, error = _form_preview(account, agent, request.query_params, services)
    response: HTMLResponse = templates.TemplateResponse(
        request, "_preview.html", {"preview": preview, "error": error}
    )
    return response


async def style_preview_page(request: Request) -> Response:
    """The "Preview" button without JavaScript: the form again, with the unsaved values
    and their preview, on a page of its own with a way back. Posted, so the form's CSRF
    token stays out of the URL; it changes nothing."""
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    preview, error = _form_preview(account, agent, form, services)
    values = form_values(agent.style or account.default_style or {})
    values.update({
        "mode": "timed" if form.get("mode") == "timed" else "all_day",
        "local_time": str(form.get("local_time", values["local_time"])),
        "duration_minutes": str(form.get("duration_minutes", values["duration_minutes"])),
        "reminders": str(form.get("reminders", "")),
        "private": form.get("private") in ("on", "true", "1"),
    })
    return render(
        request, "agent_preview.html", style=values, preview=preview, error=error,
        time_zone=agent.effective_time_zone, max_reminders=max_reminders(services, agent),
    )


def _form_preview(
    account: Account, agent: Agent, form: Mapping[str, Any], services: Services
) -> tuple[EventPreview | None, str | None]:
    """The preview of submitted style values, or the reason they are not a style."""
    try:
        options = style_options_from_form(form)
    except InvalidEventStyle as exc:
        return None, str(exc)
    return _preview(account, agent, options, services), None


async def save_style(request: Request) -> Response:
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    try:
        options = style_options_from_form(form)
    except InvalidEventStyle as exc:
        flash(request, f"Not saved: {exc}.", error=True)
        return RedirectResponse("/agent", status_code=303)
    saved = await choices.save_agent_style(services, account, agent, options,
                                           request.state.workers, wait=LOCK_WAIT_SECONDS)
    if saved.events_failed:
        flash(request, "Saved, but some task events could not be changed yet: see below.",
              error=True)
    else:
        flash(request, "Saved. Your task events now look like the preview.")
    return RedirectResponse("/agent", status_code=303)


async def choose_calendar(request: Request) -> Response:
    """Switch to another writable calendar of the agent's: the events move there."""
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    calendar_id = str(form.get("calendar_id", ""))
    if not agent.can_receive_events:
        flash(request, "Connect your calendar first.", error=True)
        return RedirectResponse("/agent", status_code=303)
    try:
        moved = await switch(_work(services, account), agent, calendar_id)
        flash(request, f"Your task events are now in {moved.calendar_name}.")
    except CalendarChoiceError as exc:
        flash(request, f"Not switched: {exc}.", error=True)
    except AccountBusy:
        flash(request, BUSY, error=True)
    except CalendarAuthorizationLost:
        flash(request, LOST, error=True)
    except CalendarError as exc:
        raise CalendarProblem("Your calendar service did not answer; nothing was moved.") from exc
    return RedirectResponse("/agent", status_code=303)


async def save_two_way(request: Request) -> Response:
    """Store whether the agent's calendar changes update Zendesk: on, off or the default."""
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    try:
        choice = TwoWayChoice.parse(str(form.get("two_way", "")))
    except InvalidTwoWayChoice as exc:
        flash(request, f"Not saved: {exc}.", error=True)
        return RedirectResponse("/agent", status_code=303)
    setting = await choices.set_agent_two_way(services.store, account, agent.zendesk_user_id,
                                              choice)
    flash(request, "Saved. Moving a task's event in your calendar now "
                   + ("changes its due date in Zendesk." if setting.in_effect
                      else "changes nothing in Zendesk: the event is put back."))
    return RedirectResponse("/agent", status_code=303)


async def disconnect(request: Request) -> Response:
    """Remove the agent's events, revoke the calendar authorization, delete the tokens."""
    services: Services = request.state.services
    await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    if not agent.has_credentials:
        flash(request, "Your calendar is not connected.")
        return RedirectResponse("/agent", status_code=303)
    try:
        left = await disconnect_calendar(_work(services, account), agent)
    except AccountBusy:
        flash(request, BUSY, error=True)
        return RedirectResponse("/agent", status_code=303)
    if left:
        flash(request, f"Disconnected. {left} events could not be removed because the calendar "
                       "refused access; delete them there.", error=True)
    else:
        flash(request, "Disconnected: your task events were removed and zdcal's access to "
                       "your calendar was withdrawn.")
    return RedirectResponse("/agent", status_code=303)


def _preview(
    account: Account, agent: Agent, options: Mapping[str, Any], services: Services
) -> EventPreview | None:
    """The sample task in this style, or ``None`` when the stored style is unusable."""
    try:
        return preview_event(
            options,
            account=account_info(account),
            time_zone=agent.effective_time_zone,
            today=services.clock.now().date(),
        )
    except InvalidEventStyle:
        return None


def _work(services: Services, account: Account) -> AccountWork:
    return lambda: services.account_work(account.id, wait=LOCK_WAIT_SECONDS)
