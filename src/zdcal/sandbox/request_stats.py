"""Counts of simulated API requests by method + route template and by status, for tests and
benchmarks; shared by the calendar simulators (each adds its own counters by subclassing)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The matching route's path template (``/v1/calendars/{calendar_id}/events``), so counts
    group by endpoint rather than by id."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            return route.path
    return "(unmatched)"


def path_within_app(scope: Scope) -> str:
    """The request path below the mount point (``root_path``) of this app, so a simulator
    behaves the same when mounted under a prefix."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


class RequestStats:
    """What the simulated API was asked; batch entries count like the requests they stand for."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.batch_entries = 0
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def record_request(self, method: str, template: str, status: int) -> None:
        self.requests += 1
        self.by_route[f"{method} {template}"] += 1
        self.by_status[str(status)] += 1

    def record_batch_entry(self, method: str, template: str, status: int) -> None:
        self.batch_entries += 1
        self.by_route[f"{method} {template}"] += 1
        self.by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "batch_entries": self.batch_entries,
            "by_route": dict(sorted(self.by_route.items())),
            "by_status": dict(sorted(self.by_status.items())),
        }


def busiest_window(stamps: Sequence[float], seconds: float) -> int:
    """The most of ``stamps`` (ascending) in any window ``(t - seconds, t]``: how a sliding
    window limit counts them."""
    busiest, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamps[first] <= stamp - seconds:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


class WindowedRequestStats(RequestStats):
    """The counters plus when each API request arrived (admitted or refused), so that
    the busiest second and minute the application's limit saw can be told afterwards
    (Cronofy's simulator: 50 a second, 500 a minute)."""

    def reset(self) -> None:
        super().reset()
        self.arrivals: list[float] = []

    def note_arrival(self, timestamp: float) -> None:
        """A request arrived at ``timestamp`` (the limiter's clock, seconds)."""
        self.arrivals.append(timestamp)

    def snapshot(self) -> dict[str, Any]:
        stamps = sorted(self.arrivals)
        return {
            **super().snapshot(),
            "busiest_second": busiest_window(stamps, 1.0),
            "busiest_minute": busiest_window(stamps, 60.0),
        }


class FaultedRequestStats(RequestStats):
    """The counters plus the faults a gate injected (Google's and Graph's simulators), and the
    one way their gates record a request: inner batch calls apart from outer requests."""

    def reset(self) -> None:
        super().reset()
        self.faults_injected = 0

    def record_fault(self) -> None:
        self.faults_injected += 1

    def record(self, routes: Sequence[BaseRoute], scope: Scope, inner: bool, status: int) -> None:
        """Count one finished request: a batch's inner call or an outer request."""
        note = self.record_batch_entry if inner else self.record_request
        note(scope["method"], route_template(routes, scope), status)

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "faults_injected": self.faults_injected}
