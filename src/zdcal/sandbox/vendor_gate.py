"""The door every request of the Google and Graph simulators passes: counted, then delayed or
failed on purpose, in the vendor's error shape. One copy for both; a vendor adds its own checks
(Graph's per-mailbox throttle) in :meth:`VendorGate.admit` and says how its errors look.

Batch inner calls come back through the same app (``zdcal.sandbox.batch_inner``), so each is
counted and faulted on its own, as both vendors treat them, but delayed only once. The control
API and the OAuth endpoints go around the gate (each vendor's ``faulted_paths``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Generic, TypeVar

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.batch_inner import is_inner
from zdcal.sandbox.faults import CONTROL_PREFIX, FaultInjector, decide_fault
from zdcal.sandbox.request_stats import FaultedRequestStats, path_within_app
from zdcal.sandbox.sent_status import SentStatus

E = TypeVar("E")


class VendorGate(Generic[E]):
    """ASGI middleware: API requests are counted and faulted; the rest pass untouched."""

    faulted_paths: tuple[str, ...] = ()
    """Path prefixes of the simulated API (the only requests counted and faulted)."""
    batch_path: str = ""
    """The batch envelope's path: it fails only by a script naming it."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], injector: FaultInjector,
                 stats: FaultedRequestStats) -> None:
        self.app = app
        self.routes = routes
        self.injector = injector
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = path_within_app(scope) if scope["type"] == "http" else ""
        if not path.startswith(self.faulted_paths) or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        inner = is_inner(scope)
        noted = SentStatus(send)
        try:
            await self.admit(scope, receive, noted, path, inner)
        finally:
            self.stats.record(self.routes, scope, inner, noted.status)

    async def admit(self, scope: Scope, receive: Receive, send: Send, path: str,
                    inner: bool) -> None:
        """The vendor's own checks before the faults; by default none."""
        await self.faulted(scope, receive, send, path, inner)

    async def faulted(self, scope: Scope, receive: Receive, send: Send, path: str,
                      inner: bool) -> None:
        """Latency once per HTTP request, then a scripted or random fault, or the app."""
        latency = self.injector.faults.latency_ms
        if latency and not inner:
            await asyncio.sleep(latency / 1000.0)
        fault = decide_fault(self.injector, scope["method"], path,
                             envelope=path == self.batch_path, error=self.injected_error)
        if fault is None:
            await self.app(scope, receive, send)
        else:
            self.stats.record_fault()
            await self.answer(scope, fault)(scope, receive, send)

    def injected_error(self, status: int, reason: str | None) -> E:
        """The vendor's error for an injected ``status`` (``reason``: a script's own name)."""
        raise NotImplementedError

    def answer(self, scope: Scope, error: E) -> ASGIApp:
        """The vendor's response carrying ``error``."""
        raise NotImplementedError
