"""The door every Graph request passes: counted, throttled per mailbox, delayed or failed on
purpose. ``$batch`` inner requests come back through this same app (``routes_batch``), so each
is counted, throttled and faulted on its own, as Graph treats them. The control API and the
identity platform go around it (``assumptions.FAULTED_PATHS``).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.batch_inner import is_inner
from zdcal.sandbox.faults import decide_fault, delay_outer
from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.routes_batch import BATCH_PATH
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator
from zdcal.sandbox.request_stats import path_within_app
from zdcal.sandbox.sent_status import SentStatus

MAILBOX_PATHS = ("/v1.0/me", "/v1.0/users/")


def injected_error(status: int, reason: str | None = None) -> GraphError:
    """The answer of an injected fault: Graph's usual code for the status, or ``reason``."""
    code, message = assumptions.FAULT_CODES.get(status, ("generalException", "Injected."))
    headers = {"Retry-After": "1"} if status in (429, 503) else {}
    return GraphError(status, reason or code, message, headers)


class GraphGate:
    """ASGI middleware: Graph requests are counted, throttled and faulted; the rest pass."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute],
                 sim: MicrosoftSimulator) -> None:
        self.app = app
        self.routes = routes
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = path_within_app(scope) if scope["type"] == "http" else ""
        if not path.startswith(assumptions.FAULTED_PATHS):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        inner = is_inner(scope)
        noted = SentStatus(send)
        mailbox = self.sim.mailbox_of(request) if path.startswith(MAILBOX_PATHS) else None
        throttle = self.sim.throttle
        try:
            refusal = throttle.enter(mailbox) if mailbox is not None else None
            if refusal is not None:
                await self.sim.error_response(request, refusal)(scope, receive, noted)
                return
            try:
                await self._pass(scope, receive, noted, path, inner)
            finally:
                if mailbox is not None:
                    throttle.leave(mailbox)
        finally:
            self.sim.stats.record(self.routes, scope, inner, noted.status)

    async def _pass(self, scope: Scope, receive: Receive, send: Send, path: str,
                    inner: bool) -> None:
        await delay_outer(self.sim.injector, inner)
        fault = decide_fault(self.sim.injector, scope["method"], path,
                             envelope=path == BATCH_PATH, error=injected_error)
        if fault is None:
            await self.app(scope, receive, send)
        else:
            self.sim.stats.record_fault()
            await self.sim.error_response(Request(scope), fault)(scope, receive, send)
