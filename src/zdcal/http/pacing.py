"""Client-side pacing: make callers wait before a remote rate limit would refuse them.

A limit such as Cronofy's "50 requests per second and 500 per minute, per application"
is shared by every client of one application, so one :class:`RateLimiter` should be
shared by all of them. Pacing is cheaper than collecting 429s and backing off.

Why sliding windows rather than token buckets: the remote side does not document how it
counts. A token bucket of N per T lets up to 2N through in some window of length T (a
full bucket, then its refill), which a sliding-window server refuses. Keeping at most N
sends in *every* window of length T satisfies sliding windows, fixed windows and token
buckets alike, at the cost of remembering the last N send times per rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

MIN_WAIT_SECONDS = 0.001
DEFAULT_MARGIN_SECONDS = 0.1
"""Added to each window: the server counts a request when it gets to it, which can be
tens of milliseconds after we sent it (its own queue, the network); without the slack
the first request of a window can land inside the next one and be refused."""


class Pacer(Protocol):
    """Anything a request waits on before it is sent (:class:`RateLimiter`, :class:`AllOf`)."""

    async def acquire(self, count: int = 1) -> None: ...


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` in any ``per_seconds`` long window."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate needs at least one request per positive period")


class _Window:
    """The send times that still count against one rate."""

    def __init__(self, rate: Rate, margin: float) -> None:
        self.rate = rate
        self.span = rate.per_seconds + margin
        self.sent: deque[float] = deque()

    def forget_expired(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.span:
            self.sent.popleft()

    def seconds_until_room(self, now: float, count: int) -> float:
        """Until ``count`` more sends fit (at most a whole window's worth: a heavier
        request waits for an empty window)."""
        excess = len(self.sent) + min(count, self.rate.requests) - self.rate.requests
        if excess <= 0:
            return 0.0
        return self.sent[excess - 1] + self.span - now


class RateLimiter:
    """Waits until every rate has room, then counts one send against each.

    ``monotonic`` and ``sleep`` are injectable so tests can drive time by hand.
    """

    def __init__(
        self,
        rates: Sequence[Rate],
        *,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rates:
            raise ValueError("a rate limiter needs at least one rate")
        if margin_seconds < 0:
            raise ValueError("margin_seconds must not be negative")
        self._monotonic = monotonic
        self._sleep = sleep
        self._windows = [_Window(rate, margin_seconds) for rate in rates]
        # Waiters queue on the lock, so sends are granted in arrival order.
        self._lock = asyncio.Lock()

    @property
    def rates(self) -> tuple[Rate, ...]:
        return tuple(window.rate for window in self._windows)

    async def acquire(self, count: int = 1) -> None:
        """Return once a request counting as ``count`` sends may go under every rate.

        A request the service counts several times (Google counts each call inside a
        batch) takes its sends at once, when they all fit: taken one by one, concurrent
        batches would each hold part of a full window and send, together, far more than
        the next one allows (measured in bench/google_backfill.py)."""
        async with self._lock:
            while True:
                now = self._monotonic()
                for window in self._windows:
                    window.forget_expired(now)
                wait = max(window.seconds_until_room(now, count) for window in self._windows)
                if wait <= 0:
                    for window in self._windows:
                        window.sent.extend([now] * min(count, window.rate.requests))
                    return
                # At least a millisecond, so a coarse clock cannot make us spin.
                await self._sleep(max(wait, MIN_WAIT_SECONDS))


class AllOf:
    """Several limiters at once: a request waits for room in each, in the order given.

    For services whose limits are shared at different scopes, e.g. Google's per-user
    quota (one limiter per account) inside its per-project one (one per process). Put
    the narrower first: a request then holds its place in the wider one only once its
    own scope has room.
    """

    def __init__(self, *limiters: Pacer) -> None:
        self._limiters = limiters

    async def acquire(self, count: int = 1) -> None:
        for limiter in self._limiters:
            await limiter.acquire(count)
