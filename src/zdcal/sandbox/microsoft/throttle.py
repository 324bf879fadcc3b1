"""Outlook's per app-and-mailbox limits: requests per 10 minutes and concurrent requests.

The gate (``gate.py``) admits each Graph request here, so a request counts as "in flight" for
its whole life (including any latency the fault knobs add). The app is the one registered
client, so "per app and mailbox" is per mailbox here.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from zdcal.clock import Clock
from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError


@dataclass
class MailboxStats:
    requests: int = 0
    throttled: int = 0
    max_in_flight: int = 0


class MailboxThrottle:
    """Counts admitted requests (sliding window) and requests in flight, per mailbox."""

    def __init__(self, per_window: int, window_seconds: float, concurrent: int,
                 clock: Clock) -> None:
        self.per_window = per_window
        self.window_seconds = window_seconds
        self.concurrent = concurrent
        self.clock = clock
        self._admitted: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self.stats: dict[str, MailboxStats] = {}

    def enter(self, mailbox: str) -> GraphError | None:
        """Admit one request of ``mailbox`` (then call ``leave``), or say why not."""
        stats = self.stats.setdefault(mailbox, MailboxStats())
        now = self.clock.timestamp()
        window = self._admitted.setdefault(mailbox, deque())
        while window and window[0] <= now - self.window_seconds:
            window.popleft()
        in_flight = self._in_flight.get(mailbox, 0)
        refusal = None
        if in_flight >= self.concurrent:
            refusal = GraphError(429, assumptions.THROTTLED[0], assumptions.THROTTLED[1],
                                 {"Retry-After": "1"})
        elif len(window) >= self.per_window:
            wait = max(1, math.ceil(window[0] + self.window_seconds - now))
            refusal = GraphError(429, assumptions.THROTTLED[0], assumptions.THROTTLED[2],
                                 {"Retry-After": str(wait)})
        if refusal is not None:
            stats.throttled += 1
            return refusal
        window.append(now)
        self._in_flight[mailbox] = in_flight + 1
        stats.requests += 1
        stats.max_in_flight = max(stats.max_in_flight, in_flight + 1)
        return None

    def leave(self, mailbox: str) -> None:
        self._in_flight[mailbox] -= 1

    def as_dict(self) -> dict[str, Any]:
        return {mailbox: vars(s) for mailbox, s in self.stats.items()}
