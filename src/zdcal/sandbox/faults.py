"""Fault knobs shared by the simulators, settable at start and at run time.

Faults apply to the simulated API only; the control API under ``/_sandbox`` is never
delayed or failed, so a test can always steer and inspect a simulator.
"""

from __future__ import annotations

import asyncio
import fnmatch
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.clock import SystemClock
from zdcal.sandbox.request_stats import path_within_app

CONTROL_PREFIX = "/_sandbox"
E = TypeVar("E")


@dataclass
class Faults:
    """What a simulator does wrong on purpose. All rates are fractions from 0 to 1."""

    error_rate: float = 0.0
    """Share of API requests answered with a 5xx (503)."""
    latency_ms: float = 0.0
    """Added to every API request before it is handled."""
    burst_429: int = 0
    """The next N API requests are answered 429 (counts down)."""
    webhook_drop_rate: float = 0.0
    """Zendesk: share of webhook deliveries silently lost. Cronofy: push notifications."""
    webhook_duplicate_rate: float = 0.0
    """Share of deliveries sent twice."""
    webhook_delay_ms: float = 0.0
    """Each delivery waits a random 0..N ms first, so deliveries arrive reordered."""
    clock_offset_seconds: float = 0.0
    """Shifts the simulator's clock (token expiry, timestamps, export windows)."""
    seed: int | None = None
    """Seeds the randomness of the knobs above, for repeatable runs."""

    def update(self, values: dict[str, Any]) -> None:
        """Set knobs from a JSON object; unknown names are a ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault knob {name!r}; known: {sorted(known)}")
            if name == "seed":
                self.seed = None if value is None else int(value)
            elif name == "burst_429":
                self.burst_429 = max(0, int(value))
            else:
                number = float(value)
                if name.endswith("_rate") and not 0.0 <= number <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
                if name.endswith("_ms") and number < 0:
                    raise ValueError(f"{name} must not be negative")
                setattr(self, name, number)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScriptedFailure:
    """The next ``count`` API requests matching ``method`` and ``path`` fail with ``status``.

    Random knobs prove a client survives noise; a script proves what it does on one exact
    answer (a 410 on the next sync read, three 503s on an insert) without flaky odds.
    """

    status: int
    count: int = 1
    method: str | None = None
    """HTTP method to match (any when None)."""
    path: str | None = None
    """``fnmatch`` pattern on the path below the mount point (any when None)."""
    reason: str | None = None
    """The simulator's name for the error (Google's ``reason``); None: its default."""

    @classmethod
    def from_json(cls, body: object) -> ScriptedFailure:
        """Read ``{"status": 503, "count": 2, "method": "POST", "path": "/x/*"}``."""
        if not isinstance(body, dict):
            raise ValueError("a scripted failure is a JSON object")
        unknown = set(body) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown scripted failure fields {sorted(unknown)}")
        status, count = body.get("status"), body.get("count", 1)
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400..599)")
        if not isinstance(count, int) or not 1 <= count <= 1_000_000:
            raise ValueError("count must be a whole number from 1")
        texts = {name: body.get(name) for name in ("method", "path", "reason")}
        for name, value in texts.items():
            if value is not None and not (isinstance(value, str) and value):
                raise ValueError(f"{name} must be a non-empty string")
        method = texts["method"].upper() if texts["method"] else None
        return cls(status, count, method, texts["path"], texts["reason"])

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


class FaultInjector:
    """Holds the knobs and the random source; decides per request and per delivery."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.random = random.Random(self.faults.seed)
        self.scripted: list[ScriptedFailure] = []
        """Pending scripted failures, the first matching one used first."""

    def script(self, failure: ScriptedFailure) -> None:
        self.scripted.append(failure)

    def take_scripted(
        self, method: str, path: str, *, named_only: bool = False
    ) -> ScriptedFailure | None:
        """The scripted failure this request meets (its count goes down by one), or None.
        ``named_only``: only failures whose ``path`` pattern was given (an envelope such as
        Google's batch request is hit only when a script names it)."""
        for failure in self.scripted:
            if named_only and failure.path is None:
                continue
            if failure.matches(method, path):
                failure.count -= 1
                if failure.count <= 0:
                    self.scripted.remove(failure)
                return failure
        return None

    def configure(self, values: dict[str, Any]) -> None:
        self.faults.update(values)
        if "seed" in values:
            self.random = random.Random(self.faults.seed)

    def take_429(self) -> bool:
        if self.faults.burst_429 > 0:
            self.faults.burst_429 -= 1
            return True
        return False

    def take_error(self) -> bool:
        return self.faults.error_rate > 0 and self.random.random() < self.faults.error_rate

    def delivery_plan(self) -> list[float]:
        """Delays in seconds for each copy of one delivery: [] lost, one or two copies."""
        f = self.faults
        if f.webhook_drop_rate and self.random.random() < f.webhook_drop_rate:
            return []
        duplicate = f.webhook_duplicate_rate and self.random.random() < f.webhook_duplicate_rate
        copies = 2 if duplicate else 1
        return [self.random.uniform(0, f.webhook_delay_ms) / 1000.0 for _ in range(copies)]


def decide_fault(
    injector: FaultInjector,
    method: str,
    path: str,
    *,
    envelope: bool,
    error: Callable[[int, str | None], E],
) -> E | None:
    """The injected error a gated request meets, in the vendor's shape (``error(status,
    reason)``), or None: a scripted failure first, then the random knobs (429 bursts, 503s).
    A batch ``envelope`` fails only by a script naming its path; otherwise faults hit its
    inner calls one by one, as the vendors count them."""
    scripted = injector.take_scripted(method, path, named_only=envelope)
    if scripted is not None:
        return error(scripted.status, scripted.reason)
    if envelope:
        return None
    if injector.take_429():
        return error(429, None)
    if injector.take_error():
        return error(503, None)
    return None


class FaultedClock:
    """The fault knobs and the shifted clock of one simulator, kept in step: the
    ``clock_offset_seconds`` knob and the clock's offset are one setting."""

    def __init__(self, faults: Faults) -> None:
        self.injector = FaultInjector(faults)
        self.clock = SystemClock(faults.clock_offset_seconds)

    def now(self) -> datetime:
        return self.clock.now()

    def configure_faults(self, values: dict[str, Any]) -> None:
        self.injector.configure(values)
        self.clock.offset_seconds = self.injector.faults.clock_offset_seconds

    def set_clock_offset(self, seconds: float) -> None:
        """Shift the clock (tokens, channels, windows follow); the fault knob follows too."""
        self.clock.offset_seconds = seconds
        self.injector.faults.clock_offset_seconds = seconds


def knobs_from_json(values: object) -> dict[str, Any]:
    """The body of ``PUT /_sandbox/faults``, checked to be an object (its knobs are checked
    by :meth:`Faults.update`)."""
    if not isinstance(values, dict):
        raise ValueError("faults are a JSON object of knob names to values")
    return values


def clock_offset_from(body: object, current: float) -> float:
    """The clock offset a ``POST /_sandbox/clock`` body asks for: ``offset_seconds`` as is,
    or ``advance_seconds`` added to ``current``."""
    body = body if isinstance(body, dict) else {}
    try:
        if "offset_seconds" in body:
            return float(body["offset_seconds"])
        if "advance_seconds" in body:
            return current + float(body["advance_seconds"])
    except (TypeError, ValueError):
        raise ValueError("seconds must be numbers") from None
    raise ValueError("give advance_seconds or offset_seconds")


class FaultMiddleware:
    """ASGI middleware applying latency, 429 bursts and 5xx errors to API requests."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        rate_limited: Callable[[Request], Response],
        server_error: Callable[[Request], Response],
    ) -> None:
        self.app = app
        self.injector = injector
        self.rate_limited = rate_limited
        self.server_error = server_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or path_within_app(scope).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        faults = self.injector.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000.0)
        if self.injector.take_429():
            await self.rate_limited(Request(scope))(scope, receive, send)
            return
        if self.injector.take_error():
            await self.server_error(Request(scope))(scope, receive, send)
            return
        await self.app(scope, receive, send)
