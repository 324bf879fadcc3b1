"""Wiring: one Starlette app serving Calendar API v3, Google's OAuth endpoints and /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from zdcal.sandbox.google.config import GoogleSimConfig
from zdcal.sandbox.google.errors import GoogleApiError, OAuthError, error_response
from zdcal.sandbox.google.gate import GoogleGate
from zdcal.sandbox.google.routes_api import GoogleCalendarApi
from zdcal.sandbox.google.routes_batch import GoogleBatch
from zdcal.sandbox.google.routes_control import GoogleControl
from zdcal.sandbox.google.routes_oauth import GoogleOAuth
from zdcal.sandbox.google.routes_push import GooglePush
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.lifespan import closing_lifespan
from zdcal.sandbox.oauth_errors import oauth_error_response


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, GoogleApiError)
    return error_response(exc)


def create_app(config: GoogleSimConfig | None = None) -> Starlette:
    """A simulated Google Calendar (API + OAuth + ``/_sandbox`` control) as an ASGI app.

    Clients point their API base at ``<base>/calendar/v3/`` (batch: ``<base>/batch/calendar/v3``),
    authorize at ``<base>/o/oauth2/v2/auth`` and exchange codes at ``<base>/token``.
    """
    sim = GoogleSimulator(config or GoogleSimConfig())
    batch = GoogleBatch()
    routes = [
        *batch.routes(),
        *GooglePush(sim).routes(),
        *GoogleCalendarApi(sim).routes(),
        *GoogleOAuth(sim).routes(),
        *GoogleControl(sim).routes(),
    ]

    app = Starlette(
        routes=routes,
        middleware=[Middleware(GoogleGate, routes=routes, sim=sim)],
        exception_handlers={GoogleApiError: _api_error, OAuthError: oauth_error_response},
        lifespan=closing_lifespan(sim.push.aclose, batch.inner.aclose),
    )
    app.state.simulator = sim
    return app
