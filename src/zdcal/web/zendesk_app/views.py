"""The Zendesk app's pages and the API their JavaScript calls.

Zendesk loads a location with a POST carrying its signed token: verified, it gives the
page zdcal's own app token (``app_tokens``), which every later call sends as a header.
The settings view offers the agent page's choices through the same use-cases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from zdcal.calendars import registry
from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarError,
    CalendarInfo,
    Connection,
)
from zdcal.domain import InvalidEventStyle, InvalidTwoWayChoice, TwoWayChoice, parse_id
from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.store import Account, Agent, AgentStatus
from zdcal.usecases import settings as choices
from zdcal.usecases.calendars import LOST, CalendarChoiceError, offered_calendars, switch
from zdcal.usecases.maintenance import request_ticket_resync
from zdcal.web.bodies import BodyRefused, decode_json, read_capped_body
from zdcal.web.pages.agent import BUSY, LOCK_WAIT_SECONDS, connect_buttons, max_reminders
from zdcal.web.pages.agent_records import overview, signed_in_agent
from zdcal.web.pages.calendar_connect import backend_to_connect, to_calendar_service
from zdcal.web.pages.csrf import MAX_FORM_BYTES, capped_form
from zdcal.web.pages.errors import BadPageRequest, FormRefused
from zdcal.web.pages.event_style_form import form_values, style_options_from_form
from zdcal.web.pages.headers import FRAME_ORIGINS_KEY, account_origins
from zdcal.web.pages.identity import SignedIn, require_user, sign_in
from zdcal.web.pages.rendering import render, templates
from zdcal.web.zendesk_app import app_tokens
from zdcal.web.zendesk_app.app_tokens import AppSession, AppTokenRefused, ConnectLinkRefused
from zdcal.web.zendesk_app.signed_urls import (
    REPLAY_KEY_PREFIX,
    PublicKeys,
    SignedUrlRefused,
    verify_signed_url,
)
from zdcal.web.zendesk_app.ticket_status import ticket_status
from zdcal.zendesk.errors import ZendeskError

PREFIX = "/zendesk-app"
VIEWS = {"sidebar": "ticket_sidebar", "settings": "nav_bar"}


def _keys(request: Request) -> PublicKeys:
    keys: PublicKeys = request.app.state.zendesk_app_keys
    return keys


async def app_view(request: Request) -> Response:
    """Zendesk's first POST of a location: verify its token, then serve the view with an
    app token in the page."""
    services: Services = request.state.services
    view = request.path_params["view"]
    if view not in VIEWS:
        raise BadPageRequest("The zdcal app has a sidebar and a settings view.")
    token = (await capped_form(request)).get("token")
    try:
        viewer = await verify_signed_url(services, _keys(request), str(token or ""))
    except SignedUrlRefused as refused:
        if refused.account is not None:  # the refusal shows inside that account's Zendesk
            _framed_by(request, refused.account)
        raise
    _framed_by(request, viewer.account)
    agent = await _agent_profile(services, viewer.account, viewer.zendesk_user_id)
    session = AppSession(viewer.account.id, viewer.zendesk_user_id, viewer.installation_id)
    context: dict[str, Any] = {"view": view, "app_token": app_tokens.issue(services, session),
                               "agent": agent, "account": viewer.account,
                               "connect_buttons": app_connect_buttons(services)}
    if view == "settings":
        context.update(await _settings_context(services, viewer.account, agent))
    response: HTMLResponse = templates.TemplateResponse(request, "zendesk_app.html", context)
    return response


OTHER_WAYS = "Other: CalDAV or a subscription link"


def app_connect_buttons(services: Services) -> list[tuple[str, str, str]]:
    """(backend, button id, words) of the app's connect buttons: the agent page's, one
    per OAuth service the operator set up ("Connect my calendar" when there is just one),
    then the agent page's connect section for the ways that are not OAuth ("" backend)."""
    buttons = connect_buttons(services)
    if len(buttons) == 1:
        buttons = [(buttons[0][0], buttons[0][1], "Connect my calendar")]
    if registry.offered(services.settings, Connection.CREDENTIALS) or not buttons:
        buttons.append(("", "connect-other", OTHER_WAYS if buttons else "Connect my calendar"))
    return buttons


def _framed_by(request: Request, account: Account) -> None:
    """Let the account's Zendesk frame this answer (the app lives in its iframe)."""
    setattr(request.state, FRAME_ORIGINS_KEY, account_origins(account.subdomain,
                                                              account.base_url))


async def _agent_profile(services: Services, account: Account, user_id: int) -> Agent:
    """The viewer's agent row, refreshed from Zendesk (only agents get one)."""
    client = services.runtime.zendesk_client(account, services.zendesk_http)
    try:
        user = await client.show_user(user_id)
    except ZendeskError as exc:
        raise SignedUrlRefused("zdcal could not read who you are from Zendesk.") from exc
    if not user.is_agent:
        raise SignedUrlRefused("zdcal is for the agents of this Zendesk account.")
    async with services.store.transaction() as tx:
        return await tx.agents.upsert_profile(
            account.id, user_id, name=user.name or user.email or f"user {user_id}",
            email=user.email or "", time_zone=user.iana_time_zone or "Etc/UTC",
        )


async def _settings_context(services: Services, account: Account, agent: Agent) -> dict[str, Any]:
    offered = await offered_calendars(services.store, services.calendars, agent)
    info = await overview(services, account, offered.agent)
    return {
        "info": info,
        "calendars": offered.calendars,
        "style": form_values(offered.agent.style or account.default_style or {}),
        "time_zone": offered.agent.effective_time_zone,
        "max_reminders": max_reminders(services, offered.agent),
    }


async def _session(request: Request) -> tuple[Services, Account, Agent]:
    services: Services = request.state.services
    session = app_tokens.from_request(request)
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(session.account_id)
        agent = await tx.agents.get_by_user(session.account_id, session.zendesk_user_id)
    if account is None or agent is None:
        raise AppTokenRefused("zdcal no longer knows this account or agent; reload the app.")
    return services, account, agent


def _answer(message: str, *, error: bool = False, status: int = 200) -> JSONResponse:
    return JSONResponse({"message": message, "error": error}, status_code=status)


def _ticket_id(request: Request) -> int:
    text = str(request.path_params["ticket_id"])
    ticket_id = parse_id(text) if len(text) <= 18 else None
    if ticket_id is None:
        raise BadPageRequest("A ticket id is a whole number.")
    return ticket_id


async def ticket(request: Request) -> Response:
    services, account, agent = await _session(request)
    status = await ticket_status(services, account, agent.zendesk_user_id, _ticket_id(request))
    return JSONResponse(status.as_json())


async def resync(request: Request) -> Response:
    """Have the workers re-read the ticket from Zendesk and apply it."""
    _services, account, _agent = await _session(request)
    await request_ticket_resync(request.state.intake, account.id, _ticket_id(request))
    return _answer("zdcal is reading this ticket again; the sidebar follows in a moment.")


async def _json_form(request: Request) -> dict[str, Any]:
    """The JSON object the app's script posts, read with the forms' cap."""
    try:
        body = decode_json(await read_capped_body(request, MAX_FORM_BYTES))
    except BodyRefused as refused:
        raise FormRefused(refused.status, "This form could not be read.") from refused
    if not isinstance(body, dict):
        raise FormRefused(400, "This form could not be read.")
    return body


async def save_style(request: Request) -> Response:
    services, account, agent = await _session(request)
    form = await _json_form(request)
    try:
        options = style_options_from_form(form)
    except InvalidEventStyle as exc:
        return _answer(f"Not saved: {exc}.", error=True, status=400)
    saved = await choices.save_agent_style(services, account, agent, options,
                                           request.state.workers, wait=LOCK_WAIT_SECONDS)
    if saved.events_failed:
        return _answer("Saved, but some task events could not be changed yet.", error=True)
    return _answer("Saved. Your task events now look like this.")


async def save_two_way(request: Request) -> Response:
    services, account, agent = await _session(request)
    form = await _json_form(request)
    try:
        choice = TwoWayChoice.parse(str(form.get("two_way", "")))
    except InvalidTwoWayChoice as exc:
        return _answer(f"Not saved: {exc}.", error=True, status=400)
    setting = await choices.set_agent_two_way(services.store, account, agent.zendesk_user_id,
                                              choice)
    return _answer("Saved. Moving a task's event in your calendar now " + (
        "changes its due date in Zendesk." if setting.in_effect
        else "changes nothing in Zendesk: the event is put back."))


async def choose_calendar(request: Request) -> Response:
    services, account, agent = await _session(request)
    form = await _json_form(request)
    if not agent.can_receive_events:
        return _answer("Connect your calendar first.", error=True, status=409)
    try:
        moved = await switch(
            lambda: services.account_work(account.id, wait=LOCK_WAIT_SECONDS), agent,
            str(form.get("calendar_id", "")),
        )
    except CalendarChoiceError as exc:
        return _answer(f"Not switched: {exc}.", error=True, status=400)
    except AccountBusy:
        return _answer(BUSY, error=True, status=409)
    except CalendarAuthorizationLost:
        return _answer(LOST, error=True, status=409)
    except CalendarError:
        return _answer("Your calendar service did not answer; nothing was moved.",
                       error=True, status=502)
    return _answer(f"Your task events are now in {moved.calendar_name}.")


async def handoff(request: Request) -> Response:
    """A connect link for the app to open in a top-level window (first-party there, so
    zdcal's session cookie works): one minute, single use, for the calendar service the
    button names (``backend``; "" for the agent page's connect section)."""
    services, _account, _agent = await _session(request)
    backend = str((await _json_form(request)).get("backend", ""))
    if backend and backend not in registry.offered(services.settings, Connection.OAUTH):
        return _answer("That calendar service is not offered here.", error=True, status=400)
    link = app_tokens.issue_link(services, app_tokens.from_request(request), backend)
    return JSONResponse({"url": f"{services.settings.public_url}{PREFIX}/open?h={link}"})


async def open_connect_link(request: Request) -> Response:
    """A connect link, opened in a top-level window: sign the agent in to zdcal there and
    go straight to the calendar service's consent (the same OAuth flow, PKCE and state
    in this browser's session, as the agent page's buttons); CalDAV and the subscription
    link are typed or made on the agent page, so the link lands on its connect section."""
    services: Services = request.state.services
    token = request.query_params.get("h", "")[:4096]
    session, backend = app_tokens.check_link(services, token)
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with services.store.transaction() as tx:
        claimed = await tx.deliveries.claim(
            [(session.account_id, REPLAY_KEY_PREFIX + digest)]
        )
        account = await tx.accounts.get(session.account_id)
        agent = await tx.agents.get_by_user(session.account_id, session.zendesk_user_id)
    if not claimed:
        raise ConnectLinkRefused(
            "This connect link was used already: each works once. Click \"Connect my "
            "calendar\" in the zdcal app inside Zendesk again.")
    if account is None or agent is None:
        raise ConnectLinkRefused("zdcal no longer knows this account or agent.")
    user = SignedIn(account_id=account.id, agent_id=agent.id,
                    zendesk_user_id=agent.zendesk_user_id, name=agent.name, role="agent")
    await sign_in(request, user, account_origins(account.subdomain, account.base_url))
    reconnect = agent.status is AgentStatus.NEEDS_RECONNECT
    if reconnect or (backend and not agent.has_credentials):
        chosen = backend_to_connect(services, agent, backend)
        if registry.kind(chosen).connection is Connection.OAUTH:
            return to_calendar_service(request, services, user, chosen, after="app")
    section = ("#reconnect-card" if reconnect
               else "" if agent.has_credentials else "#connect-card")
    return RedirectResponse("/agent" + section, status_code=303)


async def connected_page(request: Request) -> Response:
    """Where a calendar connect started from the app ends, in its top-level window: the
    calendar to choose (nothing is written before the agent does, as on the agent page),
    then "done, close this window"."""
    services: Services = request.state.services
    account, agent = await signed_in_agent(services, require_user(request))
    if not agent.has_credentials or agent.status is not AgentStatus.ACTIVE:
        return RedirectResponse("/agent", status_code=303)
    calendars: Sequence[CalendarInfo] = ()
    suggested = None
    if agent.calendar_id is None:
        offered = await offered_calendars(services.store, services.calendars, agent)
        agent, calendars = offered.agent, offered.calendars
        suggested = offered.suggested.calendar_id if offered.suggested else None
    return render(request, "zendesk_app_connected.html",
                  info=await overview(services, account, agent), calendars=calendars,
                  suggested_calendar=suggested)
