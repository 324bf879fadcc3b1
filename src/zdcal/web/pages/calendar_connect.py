"""Connecting (or reconnecting) an agent's calendar through their calendar backend's
OAuth: thin over :mod:`zdcal.usecases.calendars`.

The callback only stores the tokens (encrypted,
:func:`zdcal.usecases.calendars.connect_after_oauth`): the flow ends on the agent's page,
where they choose the calendar and the event style, and nothing is written before they
confirm (:func:`confirm_calendar`). An agent who abandons the choice has tokens and no
calendar, so no sync writes for them.

A reconnect (the authorization broke) of the same calendar account, whose calendar
still takes events, repairs the agent's events at once: they chose before.

A flow started from the Zendesk app (its connect link, in a top-level window) ends on
:data:`APP_DONE_PATH` instead, a page of its own that says when the window may close.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.calendars import registry
from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarError,
    Connection,
    oauth_linking,
)
from zdcal.domain import InvalidEventStyle, event_style_from_options
from zdcal.http.oauth import make_pkce_pair
from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus, EventStyleOptions
from zdcal.usecases.calendars import (
    CalendarChoiceError,
    LinkRefused,
    connect_after_oauth,
    start_with_calendar,
)
from zdcal.web.pages.agent_records import signed_in_agent
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.errors import CalendarProblem, ConnectRefused
from zdcal.web.pages.event_style_form import style_options_from_form
from zdcal.web.pages.identity import SignedIn, current_user, require_user
from zdcal.web.pages.oauth_flows import begin_flow, finish_flow
from zdcal.web.pages.rendering import flash

CALLBACK_PATH = "/calendar/callback"
APP_DONE_PATH = "/zendesk-app/connected"
"""Where a flow started from the Zendesk app ends (``after="app"``)."""
LOCK_WAIT_SECONDS = 30.0


async def start_calendar_connect(request: Request) -> Response:
    """Send the agent to their calendar service to link a calendar account: the one the
    form names (``backend``, one the operator set up) for a new connection, else the
    agent's own (a reconnect)."""
    services: Services = request.state.services
    form = await checked_form(request)
    user = require_user(request)
    _, agent = await signed_in_agent(services, user)
    backend = backend_to_connect(services, agent, str(form.get("backend", "")))
    return to_calendar_service(request, services, user, backend)


def backend_to_connect(services: Services, agent: Agent, chosen: str) -> str:
    """The calendar service a connect goes to: ``chosen`` (one the operator set up) for a
    new connection, else the agent's own (a reconnect, or no choice made)."""
    if chosen and not agent.has_credentials and agent.status is not AgentStatus.NEEDS_RECONNECT:
        if chosen not in registry.offered(services.settings, Connection.OAUTH):
            raise ConnectRefused("That calendar service is not offered here.")
        return chosen
    return agent.calendar_backend


async def reconnect_from_mail(request: Request) -> Response:
    """The reconnect mail's link: sign in if needed, then straight to the calendar service.

    A GET, so that one click in a mail does it. It changes nothing by itself: it starts
    the same OAuth flow as the Reconnect button (the state is bound to this browser's
    session), and only the agent's consent at the calendar service connects anything.
    """
    services: Services = request.state.services
    subdomain = request.query_params.get("account", "").strip().lower()[:63]
    user = current_user(request)
    account, agent = await signed_in_agent(services, user) if user else (None, None)
    if user is None or account is None or (subdomain and account.subdomain != subdomain):
        query = urlencode({"account": subdomain, "next": "reconnect"})
        return RedirectResponse(f"/signin?{query}", status_code=303)
    if agent is None or agent.status is not AgentStatus.NEEDS_RECONNECT:
        flash(request, "Your calendar does not need reconnecting: here is how it stands.")
        return RedirectResponse("/agent", status_code=303)
    return to_calendar_service(request, services, user, agent.calendar_backend)


def to_calendar_service(
    request: Request, services: Services, user: SignedIn, backend: str, *, after: str = ""
) -> Response:
    """Start the OAuth flow (with PKCE) at ``backend``'s service; ``after="app"`` ends
    it on the Zendesk app's page rather than the agent page."""
    pkce = make_pkce_pair()
    state = begin_flow(
        request.session, "calendar", agent_id=user.agent_id, backend=backend,
        verifier=pkce.verifier, after=after,
    )
    url = oauth_linking(services.calendars.backend(backend)).authorize_url(
        _callback_url(services), state, pkce.challenge
    )
    return RedirectResponse(url, status_code=303)


def _callback_url(services: Services) -> str:
    return services.settings.public_url + CALLBACK_PATH


async def finish_calendar_connect(request: Request) -> Response:
    """The calendar service's answer: store the tokens; the agent's page then asks where
    tasks go."""
    services: Services = request.state.services
    user = require_user(request)
    flow, code = finish_flow(request, "calendar")
    account, agent = await signed_in_agent(services, user)
    if int(flow.get("agent_id", -1)) != agent.id:
        raise ConnectRefused("This calendar answer was meant for another sign-in. Start again.")
    try:
        linked = await connect_after_oauth(
            lambda: services.account_work(account.id, wait=LOCK_WAIT_SECONDS),
            services.calendars.backend(str(flow.get("backend", agent.calendar_backend))),
            agent, code, _callback_url(services), str(flow.get("verifier", "")),
        )
    except LinkRefused as exc:
        raise ConnectRefused(str(exc)) from exc
    except AccountBusy as exc:
        raise CalendarProblem("zdcal is busy with your account; connect again in a minute.") \
            from exc
    except CalendarError as exc:
        raise CalendarProblem(
            "Your calendar was linked but could not be read yet; reload this page soon."
        ) from exc
    if linked.repaired:
        flash(request, f"Reconnected. Your open tasks are in "
                       f"{linked.agent.calendar_name} again.")
    return RedirectResponse(_done_page(str(flow.get("after", ""))), status_code=303)


def _done_page(after: str) -> str:
    """Where a connect ends: the Zendesk app's page for ``after="app"``, else the agent's."""
    return APP_DONE_PATH if after == "app" else "/agent"


async def confirm_calendar(request: Request) -> Response:
    """The agent's choice of calendar and style, after linking: now their tasks are written."""
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    done = _done_page(str(form.get("after", "")))
    if not agent.has_credentials or agent.status is not AgentStatus.ACTIVE:
        flash(request, "Connect your calendar first.", error=True)
        return RedirectResponse(done, status_code=303)
    if agent.calendar_id is not None:
        flash(request, f"Your tasks are already in {agent.calendar_name}.")
        return RedirectResponse(done, status_code=303)
    try:
        # The page always sends the style; a bare confirmation keeps the current one.
        style = chosen_style(account, agent, style_options_from_form(form)) \
            if "mode" in form else None
    except InvalidEventStyle as exc:
        flash(request, f"Not started: {exc}.", error=True)
        return RedirectResponse(done, status_code=303)
    try:
        started = await start_with_calendar(
            lambda: services.account_work(account.id, wait=LOCK_WAIT_SECONDS),
            agent, str(form.get("calendar_id", "")) or None, style,
        )
    except CalendarChoiceError as exc:
        flash(request, f"Not started: {exc}.", error=True)
        return RedirectResponse(done, status_code=303)
    except AccountBusy as exc:
        raise CalendarProblem("zdcal is busy with your account; try again in a minute.") \
            from exc
    except CalendarAuthorizationLost as exc:
        raise CalendarProblem(
            "Your calendar no longer lets zdcal in; connect it again."
        ) from exc
    except CalendarError as exc:
        raise CalendarProblem(
            "Your calendar service did not answer; nothing was written. Try again soon."
        ) from exc
    if done != APP_DONE_PATH:  # the app's page says it in its own words
        flash(request, f"Done. Your open tasks are in {started.calendar_name}.")
    return RedirectResponse(done, status_code=303)


def chosen_style(
    account: Account, agent: Agent, options: EventStyleOptions
) -> EventStyleOptions | None:
    """The style to store for the agent, or None to keep following the account's default
    (an agent without a style of their own who confirms the default keeps following it)."""
    if not agent.style and (
        event_style_from_options(options)
        == event_style_from_options(account.default_style or {})
    ):
        return None
    return options
