"""The agent page's calendar subscription (ICS feed): make the secret link, make a new
one, choose private events, stop it. Thin over :mod:`zdcal.usecases.ics_feeds`.

The link is shown once, on the page right after it was made: zdcal keeps only its hash.
It travels to that page inside the session cookie (encrypted, like everything the
cookie holds) and is taken out of the session as the page renders.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from zdcal.live.services import Services
from zdcal.usecases import ics_feeds
from zdcal.web.ics_feed import FEED_PATH
from zdcal.web.pages.agent_records import signed_in_agent
from zdcal.web.pages.csrf import checked_form
from zdcal.web.pages.identity import require_user
from zdcal.web.pages.rendering import flash

_NEW_LINK_KEY = "ics_link"
BACK = "/agent#ics-card"


def feed_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + FEED_PATH.format(token=token)


def take_new_link(request: Request) -> str | None:
    """The link made just before this page, once (``None`` afterwards)."""
    link: str | None = request.session.pop(_NEW_LINK_KEY, None)
    return link


async def make_link(request: Request) -> Response:
    """Make the agent's subscription link, or a new one (the old stops working)."""
    services: Services = request.state.services
    await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    had = await ics_feeds.subscription_of(services.store, account, agent)
    token = await ics_feeds.new_link(services.store, account, agent)
    request.session[_NEW_LINK_KEY] = feed_url(services.settings.public_url, token)
    flash(request, "Here is your new subscription link; the old one no longer works."
          if had else "Here is your subscription link: add it to your calendar app.")
    return RedirectResponse(BACK, status_code=303)


async def save_private(request: Request) -> Response:
    services: Services = request.state.services
    form = await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    private = form.get("private") in ("on", "true", "1")
    if await ics_feeds.set_private(services.store, account, agent, private):
        flash(request, "Saved. Your subscription's events now say only \"Zendesk task #…\"."
              if private else "Saved. Your subscription's events now show the tickets' "
              "subject and description.")
    else:
        flash(request, "You have no subscription link.", error=True)
    return RedirectResponse(BACK, status_code=303)


async def stop(request: Request) -> Response:
    """Revoke the link: calendar apps subscribed to it get nothing more."""
    services: Services = request.state.services
    await checked_form(request)
    account, agent = await signed_in_agent(services, require_user(request))
    if await ics_feeds.revoke(services.store, account, agent):
        flash(request, "Stopped: your subscription link no longer works. Remove the calendar "
                       "from your calendar app too; its events stay there until you do.")
    else:
        flash(request, "You have no subscription link.")
    return RedirectResponse(BACK, status_code=303)
