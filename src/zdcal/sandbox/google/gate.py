"""The door every Calendar API request passes: counted, then delayed or failed on purpose.

Batch inner calls come back through this same app (``routes_batch``), so each is counted
and faulted like a single call, as Google treats them. The control API and the OAuth
endpoints go around the faults (``assumptions.FAULTED_PATHS``); quotas are checked later,
with the user known, in ``GoogleSimulator.authenticate``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.batch_inner import is_inner
from zdcal.sandbox.faults import CONTROL_PREFIX, decide_fault, delay_outer
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import error_response, injected_error
from zdcal.sandbox.google.routes_batch import BATCH_PATH
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.request_stats import path_within_app
from zdcal.sandbox.sent_status import SentStatus


class GoogleGate:
    """ASGI middleware: Calendar API requests are counted and faulted; the rest pass."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], sim: GoogleSimulator) -> None:
        self.app = app
        self.routes = routes
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = path_within_app(scope) if scope["type"] == "http" else ""
        if not path.startswith(assumptions.FAULTED_PATHS) or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        inner = is_inner(scope)
        send_and_note = SentStatus(send)
        try:
            await delay_outer(self.sim.injector, inner)
            fault = decide_fault(self.sim.injector, scope["method"], path,
                                 envelope=path == BATCH_PATH, error=injected_error)
            if fault is None:
                await self.app(scope, receive, send_and_note)
            else:
                self.sim.stats.record_fault()
                await error_response(fault)(scope, receive, send_and_note)
        finally:
            self.sim.stats.record(self.routes, scope, inner, send_and_note.status)
