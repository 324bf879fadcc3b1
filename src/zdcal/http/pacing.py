"""Client-side pacing: make callers wait before a remote rate limit would refuse them.

A limit such as Cronofy's "50 requests per second and 500 per minute, per application"
is shared by every client of one application, in every process: the pacers are the
budgets of :mod:`zdcal.http.budgets`, whose counts the whole cluster shares. Pacing is
cheaper than collecting 429s and backing off. This module holds what a request waits on
(:class:`Pacer`), the rates, and :class:`AllOf` for limits at several scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DEFAULT_MARGIN_SECONDS = 0.1
"""Added to each window: the server counts a request when it gets to it, which can be
tens of milliseconds after we sent it (its own queue, the network); without the slack
the first request of a window can land inside the next one and be refused."""


class Pacer(Protocol):
    """Anything a request waits on before it is sent (a budget, :class:`AllOf`)."""

    async def acquire(self, count: int = 1) -> None: ...


@dataclass(frozen=True)
class Rate:
    """At most ``requests`` in any ``per_seconds`` long window."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate needs at least one request per positive period")


class AllOf:
    """Several limiters at once: a request waits for room in each, in the order given.

    For services whose limits are shared at different scopes, e.g. Google's per-user
    quota (one budget per user) inside its per-project one. Put
    the narrower first: a request then holds its place in the wider one only once its
    own scope has room.
    """

    def __init__(self, *limiters: Pacer) -> None:
        self._limiters = limiters

    async def acquire(self, count: int = 1) -> None:
        for limiter in self._limiters:
            await limiter.acquire(count)
