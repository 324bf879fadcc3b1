"""Connecting (or reconnecting) an agent's CalDAV account from their page: a provider
(iCloud, Fastmail, Nextcloud with its URL, or any server's URL), a username and an app
password. Thin over :func:`zdcal.usecases.calendars.connect_after_credentials`: discovery
first, nothing stored on a refusal, and then, as after OAuth, the agent chooses the
calendar on their page. The password is never shown back, nor logged; after a refusal the
form comes back with the provider, address and username filled in, to correct."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.usecases.calendars import CredentialsRefused, connect_after_credentials
from zdcal.web.pages.agent_records import signed_in_agent
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.identity import require_user
from zdcal.web.pages.rendering import flash

PATH = "/calendar/caldav"
BACKEND = "caldav"
LOCK_WAIT_SECONDS = 30.0
FIELD_LIMIT = 1000  # longer than any URL, username or app password worth trying
_TRIED_KEY = "caldav_tried"
KEPT_FIELDS = ("provider", "url", "username")
"""What a refused attempt keeps for the form to show again (never the password)."""
KEPT_LIMIT = 256
"""A longer field is not kept: the session cookie carries what is kept."""


def take_tried(request: Request) -> dict[str, str] | None:
    """The fields of the last refused attempt, once (the page shows them again)."""
    tried = request.session.pop(_TRIED_KEY, None)
    if not isinstance(tried, dict):
        return None
    return {name: str(tried.get(name, ""))[:KEPT_LIMIT] for name in KEPT_FIELDS}


async def connect_caldav(request: Request) -> Response:
    """The CalDAV form's answer: link the account, then back to the agent's page."""
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))

    def field(name: str) -> str:
        value = form.get(name)
        return value.strip()[:FIELD_LIMIT] if isinstance(value, str) else ""

    try:
        linked = await connect_after_credentials(
            lambda: services.account_work(account.id, wait=LOCK_WAIT_SECONDS),
            services.calendars.backend(BACKEND), agent,
            provider=field("provider") or "generic", url=field("url") or None,
            username=field("username"), password=field("password"),
        )
    except CredentialsRefused as exc:
        request.session[_TRIED_KEY] = {
            name: value for name in KEPT_FIELDS if len(value := field(name)) <= KEPT_LIMIT
        }
        flash(request, f"Not connected: {exc}.", error=True)
        return RedirectResponse("/agent", status_code=303)
    except AccountBusy:
        flash(request, "zdcal is busy with your account; connect again in a minute.",
              error=True)
        return RedirectResponse("/agent", status_code=303)
    if linked.repaired:
        flash(request, f"Reconnected. Your open tasks are in "
                       f"{linked.agent.calendar_name} again.")
    return RedirectResponse("/agent", status_code=303)
