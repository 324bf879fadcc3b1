"""The pages people see: agent onboarding and the admin page.

:func:`create_pages_app` is mounted at "/" by :func:`zdcal.web.app.create_app`, whose
lifespan gives every request ``request.state.services`` and ``request.state.workers``.
Middleware, outermost first: security headers (CSP with ``frame-ancestors``), the
encrypted session cookie, the server-side session it names. Every POST checks a CSRF
token.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from zdcal.mail import RECONNECT_PATH
from zdcal.web.pages import (
    account_connect,
    admin,
    agent,
    caldav_connect,
    calendar_connect,
    signin,
    subscription,
)
from zdcal.web.pages.agent_directory import AgentDirectory
from zdcal.web.pages.errors import PageError
from zdcal.web.pages.headers import SecurityHeaders
from zdcal.web.pages.rendering import STATIC_DIR, render
from zdcal.web.pages.server_sessions import ServerSessions
from zdcal.web.pages.sessions import SessionCookies
from zdcal.web.zendesk_app import views as zendesk_app
from zdcal.web.zendesk_app.signed_urls import PublicKeys

log = logging.getLogger(__name__)


async def page_error(request: Request, exc: Exception) -> Response:
    """Refusals as readable pages, with their status."""
    assert isinstance(exc, PageError)
    log.info("page refused (%s): %s", type(exc).__name__, exc.title)
    return render(request, "error.html", status=exc.status, title=exc.title,
                  message=exc.message)


HTTP_PAGE_TITLES = {404: "Page not found", 405: "Not allowed here"}


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (an unknown page or static file, a wrong method) as pages
    in the site's layout, with a way home."""
    assert isinstance(exc, HTTPException)
    title = HTTP_PAGE_TITLES.get(exc.status_code, "Something went wrong")
    message = (
        "There is no page at this address: the link may be old or mistyped."
        if exc.status_code == 404 else str(exc.detail)
    )
    response = render(request, "error.html", status=exc.status_code, title=title,
                      message=message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_pages_app() -> Starlette:
    """The pages sub-app, mounted at "/" by :func:`zdcal.web.app.create_app`."""
    routes = [
        Route("/", signin.home),
        Route("/signin", signin.start_sign_in),
        Route(signin.CALLBACK_PATH, signin.finish_sign_in),
        Route("/signout", signin.sign_out_page, methods=["POST"]),
        Route("/connect", account_connect.connect_form),
        Route("/connect", account_connect.start_connect, methods=["POST"]),
        Route(account_connect.CALLBACK_PATH, account_connect.finish_connect),
        Route("/agent", agent.agent_page),
        Route("/agent/preview", agent.style_preview_page, methods=["POST"]),
        Route("/agent/preview/fragment", agent.style_preview_fragment),
        Route("/agent/style", agent.save_style, methods=["POST"]),
        Route("/agent/calendar", agent.choose_calendar, methods=["POST"]),
        Route("/agent/two-way", agent.save_two_way, methods=["POST"]),
        Route("/agent/disconnect", agent.disconnect, methods=["POST"]),
        Route("/agent/ics", subscription.make_link, methods=["POST"]),
        Route("/agent/ics/private", subscription.save_private, methods=["POST"]),
        Route("/agent/ics/revoke", subscription.stop, methods=["POST"]),
        Route("/calendar/connect", calendar_connect.start_calendar_connect, methods=["POST"]),
        Route(RECONNECT_PATH, calendar_connect.reconnect_from_mail),
        Route(calendar_connect.CALLBACK_PATH, calendar_connect.finish_calendar_connect),
        Route("/calendar/confirm", calendar_connect.confirm_calendar, methods=["POST"]),
        Route(caldav_connect.PATH, caldav_connect.connect_caldav, methods=["POST"]),
        Route("/admin", admin.admin_page),
        Route("/admin/resync", admin.resync_agent, methods=["POST"]),
        Route("/admin/two-way", admin.save_two_way_default, methods=["POST"]),
        Route("/admin/style", admin.save_default_style, methods=["POST"]),
        Route("/admin/due-dates", admin.save_due_date_reading, methods=["POST"]),
        Route("/admin/verify", admin.run_verify, methods=["POST"]),
        Route("/admin/bootstrap", admin.run_bootstrap, methods=["POST"]),
        Route(zendesk_app.PREFIX + "/open", zendesk_app.open_connect_link),
        Route(calendar_connect.APP_DONE_PATH, zendesk_app.connected_page),
        Route(zendesk_app.PREFIX + "/api/tickets/{ticket_id}", zendesk_app.ticket),
        Route(zendesk_app.PREFIX + "/api/tickets/{ticket_id}/resync", zendesk_app.resync,
              methods=["POST"]),
        Route(zendesk_app.PREFIX + "/api/style", zendesk_app.save_style, methods=["POST"]),
        Route(zendesk_app.PREFIX + "/api/two-way", zendesk_app.save_two_way, methods=["POST"]),
        Route(zendesk_app.PREFIX + "/api/calendar", zendesk_app.choose_calendar,
              methods=["POST"]),
        Route(zendesk_app.PREFIX + "/api/handoff", zendesk_app.handoff, methods=["POST"]),
        Route(zendesk_app.PREFIX + "/{view}", zendesk_app.app_view, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(SessionCookies),
                    Middleware(ServerSessions)],
        exception_handlers={PageError: page_error, HTTPException: http_error},
    )
    app.state.agent_directory = AgentDirectory()
    app.state.zendesk_app_keys = PublicKeys()
    return app
