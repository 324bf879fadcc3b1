"""Wiring: one Starlette app serving the Cronofy API host, its OAuth app host and /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.api_gate import ApiGate
from zdcal.sandbox.cronofy.config import CronofySimConfig
from zdcal.sandbox.cronofy.errors import CronofyApiError, OAuthError
from zdcal.sandbox.cronofy.routes_api import CronofyApi
from zdcal.sandbox.cronofy.routes_control import SandboxControl
from zdcal.sandbox.cronofy.routes_oauth import CronofyOAuth
from zdcal.sandbox.cronofy.simulator import CronofySimulator
from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.lifespan import closing_lifespan
from zdcal.sandbox.oauth_errors import oauth_error_response
from zdcal.sandbox.request_stats import path_within_app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CronofyApiError)
    if path_within_app(request.scope).startswith(CONTROL_PREFIX):
        # The control API explains itself; the simulated API answers as Cronofy does.
        return JSONResponse({"error": str(exc), **(exc.body or {})}, exc.status)
    if exc.body is not None:
        return JSONResponse(exc.body, exc.status)
    headers = {"WWW-Authenticate": assumptions.UNAUTHORIZED_CHALLENGE} if exc.status == 401 else {}
    return Response(status_code=exc.status, headers=headers)


def create_app(config: CronofySimConfig | None = None) -> Starlette:
    """A simulated Cronofy (API host + app host + ``/_sandbox`` control API) as an ASGI app."""
    sim = CronofySimulator(config or CronofySimConfig())
    routes = [
        *CronofyApi(sim).routes(),
        *CronofyOAuth(sim).routes(),
        *SandboxControl(sim).routes(),
    ]

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                ApiGate,
                routes=routes,
                limiter=sim.limiter,
                injector=sim.injector,
                stats=sim.stats,
            )
        ],
        exception_handlers={CronofyApiError: _api_error, OAuthError: oauth_error_response},
        lifespan=closing_lifespan(sim.notifier.aclose),
    )
    app.state.simulator = sim
    return app
