"""The door every simulated API request passes: stats, rate limit, then the fault knobs.

The control API (``/_sandbox``) goes around it. The path is taken relative to the mount
point, so the simulator behaves the same when mounted under a prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.faults import CONTROL_PREFIX, FaultInjector, FaultMiddleware
from zdcal.sandbox.rate_limit import ApplicationRateLimiter
from zdcal.sandbox.request_stats import WindowedRequestStats, path_within_app, route_template
from zdcal.sandbox.sent_status import SentStatus


def _rate_limited(_: Request) -> Response:
    return Response(status_code=429)


def _server_error(_: Request) -> Response:
    return Response(status_code=503)


class ApiGate:
    """ASGI middleware: API requests are counted (with when they arrived), rate limited and
    faulted; control is not."""

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[BaseRoute],
        limiter: ApplicationRateLimiter,
        injector: FaultInjector,
        stats: WindowedRequestStats,
    ) -> None:
        self.app = app
        self.routes = routes
        self.limiter = limiter
        self.stats = stats
        self.faulted = FaultMiddleware(app, injector, _rate_limited, _server_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or path_within_app(scope).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        send_and_note = SentStatus(send)
        self.stats.note_arrival(self.limiter.clock.timestamp())
        try:
            if self.limiter.admit():
                await self.faulted(scope, receive, send_and_note)
            else:
                await _rate_limited(Request(scope))(scope, receive, send_and_note)
        finally:
            template = route_template(self.routes, scope)
            self.stats.record_request(scope["method"], template, send_and_note.status)
