"""Test stand-ins for the *remote* side only: scripted API answers, a recording sleep, a
settable clock. Nothing of zdcal's own is replaced."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parent / "fixtures"

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def load_fixture(api: str, name: str) -> Any:
    """A real-shaped payload from tests/clients/fixtures/<api>/<name>.json."""
    return json.loads((FIXTURES / api / f"{name}.json").read_text())


class ScriptedRemote:
    """Answers each request with the next scripted step and records every request.

    A step is a response, an exception to raise (a transport failure), or a function of
    the request. Running out of steps fails the test loudly.
    """

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unscripted request: {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def json_bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


class RoutedRemote:
    """Answers by (method, path) with a function, for tests where order does not matter."""

    def __init__(self, routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]]):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            raise AssertionError(f"unrouted request: {request.method} {request.url}")
        return handler(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


class RecordingSleep:
    """An injected sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self, clock: SettableClock | None = None) -> None:
        self.delays: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)

    @property
    def total(self) -> float:
        return sum(self.delays)


class SettableClock:
    """A zdcal Clock whose time only moves when told (satisfies zdcal.clock.Clock)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        # Kept apart from `current`: datetimes round to microseconds, pacing needs floats.
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self.current

    def timestamp(self) -> float:
        return self.current.timestamp()

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self._monotonic += seconds

    def monotonic(self) -> float:
        return self._monotonic
