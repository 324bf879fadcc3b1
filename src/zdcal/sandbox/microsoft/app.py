"""Wiring: one Starlette app serving Graph v1.0, the identity platform and ``/_sandbox``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from zdcal.sandbox.lifespan import closing_lifespan
from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.config import MicrosoftSimConfig
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.gate import GraphGate
from zdcal.sandbox.microsoft.routes_api import GraphCalendarApi
from zdcal.sandbox.microsoft.routes_batch import GraphBatch
from zdcal.sandbox.microsoft.routes_control import MicrosoftControl
from zdcal.sandbox.microsoft.routes_delta import GraphDelta
from zdcal.sandbox.microsoft.routes_oauth import MicrosoftOAuth
from zdcal.sandbox.microsoft.routes_subscriptions import GraphSubscriptions
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator


def create_app(config: MicrosoftSimConfig | None = None) -> Starlette:
    """A simulated Microsoft 365 (Graph calendar API + identity platform + ``/_sandbox``).

    Clients use ``<base>/v1.0`` as Graph's base, ``<base>/{tenant}/oauth2/v2.0/authorize`` and
    ``.../token`` as the identity platform's (OpenID metadata at
    ``<base>/{tenant}/v2.0/.well-known/openid-configuration``).
    """
    sim = MicrosoftSimulator(config or MicrosoftSimConfig())
    batch = GraphBatch(sim.now)

    async def graph_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GraphError)
        return sim.error_response(request, exc)

    async def unknown_path(request: Request, exc: Exception) -> Response:
        """Graph paths the simulator does not serve answer in Graph's shape, not Starlette's."""
        assert isinstance(exc, HTTPException)
        if not request.url.path.startswith("/v1.0/"):
            return PlainTextResponse(exc.detail, exc.status_code)
        code, message = assumptions.UNKNOWN_SEGMENT
        segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        status = 405 if exc.status_code == 405 else 400
        return sim.error_response(request, GraphError(status, code, message.format(segment)))


    routes = [
        *batch.routes(),
        *GraphDelta(sim).routes(),
        *GraphCalendarApi(sim).routes(),
        *GraphSubscriptions(sim).routes(),
        *MicrosoftOAuth(sim).routes(),
        *MicrosoftControl(sim).routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GraphGate, routes=routes, sim=sim)],
        exception_handlers={GraphError: graph_error, HTTPException: unknown_path},
        lifespan=closing_lifespan(sim.sender.aclose, batch.inner.aclose),
    )
    app.state.simulator = sim
    return app
