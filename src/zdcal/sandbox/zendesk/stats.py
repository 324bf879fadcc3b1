"""Counts of API requests per method and route template and per status (control API)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.sandbox.sent_status import SentStatus


class RequestStats:
    """What the simulated API has been asked, for tests and benchmarks."""

    def __init__(self) -> None:
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_route_status: Counter[str] = Counter()

    def count(self, route: str, status: int) -> None:
        self.by_route[route] += 1
        self.by_status[str(status)] += 1
        self.by_route_status[f"{route} {status}"] += 1

    def reset(self) -> None:
        """Start counting afresh."""
        self.by_route.clear()
        self.by_status.clear()
        self.by_route_status.clear()

    def as_json(self) -> dict[str, Any]:
        return {
            "total": sum(self.by_route.values()),
            "by_route": dict(self.by_route),
            "by_status": dict(self.by_status),
            "by_route_status": dict(self.by_route_status),
        }


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """``METHOD /path/{param}`` of the route serving a request (``.json`` folded in)."""
    method = scope.get("method", "")
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            path: str = getattr(route, "path", "?")
            return f"{method} {path.removesuffix('.json').replace(':int', '')}"
    return f"{method} (unrouted)"


class StatsMiddleware:
    """Records the route template and final status of every request it passes on."""

    def __init__(self, app: ASGIApp, stats: RequestStats, routes: list[BaseRoute]) -> None:
        self.app = app
        self.stats = stats
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        template = route_template(self.routes, scope)
        recording_send = SentStatus(send)
        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.stats.count(template, recording_send.status)
