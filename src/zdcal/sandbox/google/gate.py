"""The door every Calendar API request passes: counted, then delayed or failed on purpose.

Batch inner calls come back through this same app (``routes_batch``), so each is counted
and faulted like a single call, as Google treats them. The control API and the OAuth
endpoints go around the faults (``assumptions.FAULTED_PATHS``); quotas are checked later,
with the user known, in ``GoogleSimulator.authenticate``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.cronofy.api_gate import path_within_app, route_template
from zdcal.sandbox.faults import CONTROL_PREFIX
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, error_response, injected_error
from zdcal.sandbox.google.routes_batch import BATCH_PATH, INNER_HOST
from zdcal.sandbox.google.simulator import GoogleSimulator
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
        inner = (scope.get("server") or ("",))[0] == INNER_HOST
        send_and_note = SentStatus(send)
        latency = self.sim.injector.faults.latency_ms
        try:
            if latency and not inner:
                await asyncio.sleep(latency / 1000.0)
            fault = self._decide(scope["method"], path)
            if fault is None:
                await self.app(scope, receive, send_and_note)
            else:
                self.sim.stats.record_fault()
                await error_response(fault)(scope, receive, send_and_note)
        finally:
            template = route_template(self.routes, scope)
            record = self.sim.stats.record_batch_entry if inner else self.sim.stats.record_request
            record(scope["method"], template, send_and_note.status)

    def _decide(self, method: str, path: str) -> GoogleApiError | None:
        """A scripted failure first; then the random knobs. The batch envelope fails only by a
        script naming its path: otherwise faults hit its inner calls, one by one."""
        injector = self.sim.injector
        envelope = path == BATCH_PATH
        scripted = injector.take_scripted(method, path, named_only=envelope)
        if scripted is not None:
            return injected_error(scripted.status, scripted.reason)
        if envelope:
            return None
        if injector.take_429():
            return injected_error(429)
        if injector.take_error():
            return injected_error(503)
        return None
