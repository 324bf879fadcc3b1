"""Connecting (or reconnecting) an agent's calendar through Cronofy OAuth.

After the callback, :func:`zdcal.sync.agents.connect_agent` stores the tokens
(encrypted), picks the calendar (the one chosen before when it is the same calendar
account, else the primary writable one) and writes every open task at once: a reconnect
repairs the agent's events the same way.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.calendars.base import CalendarAuthorizationLost, CalendarUnavailable
from zdcal.calendars.cronofy import CronofyError
from zdcal.calendars.cronofy import oauth as cronofy_oauth
from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.store import AgentStatus, CalendarTokens
from zdcal.sync.agents import CalendarChoiceError, connect_agent
from zdcal.web.pages.agent_records import signed_in_agent
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.errors import CalendarProblem, ConnectRefused
from zdcal.web.pages.identity import SignedIn, current_user, require_user
from zdcal.web.pages.oauth_flows import begin_flow, finish_flow
from zdcal.web.pages.rendering import flash

CALLBACK_PATH = "/calendar/callback"
LOCK_WAIT_SECONDS = 30.0


async def start_calendar_connect(request: Request) -> Response:
    """Send the agent to Cronofy to link a calendar account."""
    services: Services = request.state.services
    await checked_form(request)
    user = require_user(request)
    await signed_in_agent(services, user)
    return _to_cronofy(request, services, user)


async def reconnect_from_mail(request: Request) -> Response:
    """The reconnect mail's link: sign in if needed, then straight to Cronofy.

    A GET, so that one click in a mail does it. It changes nothing by itself: it starts
    the same OAuth flow as the Reconnect button (the state is bound to this browser's
    session), and only the agent's consent at Cronofy connects anything.
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
    return _to_cronofy(request, services, user)


def _to_cronofy(request: Request, services: Services, user: SignedIn) -> Response:
    state = begin_flow(request.session, "calendar", agent_id=user.agent_id)
    settings = services.settings
    url = cronofy_oauth.authorize_url(
        settings.cronofy_app_url, settings.cronofy_client_id,
        settings.public_url + CALLBACK_PATH, state=state,
    )
    return RedirectResponse(url, status_code=303)


async def finish_calendar_connect(request: Request) -> Response:
    """Cronofy's answer: store the tokens and write the agent's open tasks."""
    services: Services = request.state.services
    user = require_user(request)
    flow, code = finish_flow(request, "calendar")
    account, agent = await signed_in_agent(services, user)
    if int(flow.get("agent_id", -1)) != agent.id:
        raise ConnectRefused("This calendar answer was meant for another sign-in. Start again.")
    settings = services.settings
    try:
        tokens = await cronofy_oauth.exchange_code(
            services.cronofy_http, settings.cronofy_api_url,
            client_id=settings.cronofy_client_id,
            client_secret=settings.cronofy_client_secret.get_secret_value(),
            code=code, redirect_uri=settings.public_url + CALLBACK_PATH, clock=services.clock,
        )
    except CronofyError as exc:
        raise ConnectRefused(f"The calendar service refused the connection: {exc}") from exc
    calendar_account = tokens.sub or tokens.account_id
    if not calendar_account:
        raise ConnectRefused("The calendar service did not say which account was linked.")
    same_account = calendar_account == agent.calendar_account_id
    try:
        async with services.account_work(account.id, wait=LOCK_WAIT_SECONDS) as sync:
            connected = await connect_agent(
                sync, zendesk_user_id=agent.zendesk_user_id, name=agent.name,
                email=agent.email, time_zone=agent.time_zone,
                calendar_account_id=calendar_account, data_center=settings.cronofy_data_center,
                tokens=CalendarTokens(tokens.access_token, tokens.refresh_token,
                                      tokens.expires_at),
                calendar_id=agent.calendar_id if same_account else None,
            )
    except AccountBusy as exc:
        raise CalendarProblem("zdcal is busy with your account; connect again in a minute.") \
            from exc
    except CalendarChoiceError as exc:
        raise ConnectRefused(f"{exc}.") from exc
    except (CalendarAuthorizationLost, CalendarUnavailable, CronofyError) as exc:
        raise CalendarProblem(
            "Your calendar was linked but could not be read yet; reload this page soon."
        ) from exc
    flash(request, f"Connected. Your open tasks are in {connected.calendar_name}.")
    return RedirectResponse("/agent", status_code=303)
