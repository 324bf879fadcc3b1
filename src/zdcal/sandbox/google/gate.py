"""The door every Calendar API request passes (``zdcal.sandbox.vendor_gate``): counted, then
delayed or failed on purpose in Google's error format. Quotas are checked later, with the user
known, in ``GoogleSimulator.authenticate``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Scope

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, error_response, injected_error
from zdcal.sandbox.google.routes_batch import BATCH_PATH
from zdcal.sandbox.google.simulator import GoogleSimulator
from zdcal.sandbox.vendor_gate import VendorGate


class GoogleGate(VendorGate[GoogleApiError]):
    """ASGI middleware: Calendar API requests are counted and faulted; the rest pass."""

    faulted_paths = assumptions.FAULTED_PATHS
    batch_path = BATCH_PATH

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], sim: GoogleSimulator) -> None:
        super().__init__(app, routes, sim.injector, sim.stats)

    def injected_error(self, status: int, reason: str | None) -> GoogleApiError:
        return injected_error(status, reason)

    def answer(self, scope: Scope, error: GoogleApiError) -> ASGIApp:
        return error_response(error)
