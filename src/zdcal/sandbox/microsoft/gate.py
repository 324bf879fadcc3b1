"""The door every Graph request passes (``zdcal.sandbox.vendor_gate``): counted, throttled per
mailbox, then delayed or failed on purpose in Graph's error shape. ``$batch`` inner requests are
throttled on their own too, as Graph treats them.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError
from zdcal.sandbox.microsoft.routes_batch import BATCH_PATH
from zdcal.sandbox.microsoft.simulator import MicrosoftSimulator
from zdcal.sandbox.vendor_gate import VendorGate

MAILBOX_PATHS = ("/v1.0/me", "/v1.0/users/")


def injected_error(status: int, reason: str | None = None) -> GraphError:
    """The answer of an injected fault: Graph's usual code for the status, or ``reason``."""
    code, message = assumptions.FAULT_CODES.get(status, ("generalException", "Injected."))
    headers = {"Retry-After": "1"} if status in (429, 503) else {}
    return GraphError(status, reason or code, message, headers)


class GraphGate(VendorGate[GraphError]):
    """ASGI middleware: Graph requests are counted, throttled and faulted; the rest pass."""

    faulted_paths = assumptions.FAULTED_PATHS
    batch_path = BATCH_PATH

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute],
                 sim: MicrosoftSimulator) -> None:
        super().__init__(app, routes, sim.injector, sim.stats)
        self.sim = sim

    async def admit(self, scope: Scope, receive: Receive, send: Send, path: str,
                    inner: bool) -> None:
        """The mailbox's throttle first (a refusal is Graph's 429), then the faults."""
        request = Request(scope)
        mailbox = self.sim.mailbox_of(request) if path.startswith(MAILBOX_PATHS) else None
        if mailbox is None:
            await self.faulted(scope, receive, send, path, inner)
            return
        throttle = self.sim.throttle
        refusal = throttle.enter(mailbox)
        if refusal is not None:
            await self.sim.error_response(request, refusal)(scope, receive, send)
            return
        try:
            await self.faulted(scope, receive, send, path, inner)
        finally:
            throttle.leave(mailbox)

    def injected_error(self, status: int, reason: str | None) -> GraphError:
        return injected_error(status, reason)

    def answer(self, scope: Scope, error: GraphError) -> ASGIApp:
        return self.sim.error_response(Request(scope), error)
