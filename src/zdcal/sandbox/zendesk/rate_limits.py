"""Per-minute request budgets on the simulator clock (account-wide and per endpoint)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from zdcal.sandbox.zendesk.assumptions import RATE_LIMIT_WINDOW_SECONDS


@dataclass(frozen=True)
class Budget:
    """The state of one limit after a request was counted (or refused)."""

    allowed: bool
    limit: int
    remaining: int
    resets_in: int
    """Whole seconds until the window starts over (at least 1)."""


class MinuteWindowLimiter:
    """Counts requests in fixed clock minutes; over ``limit`` a request is refused."""

    def __init__(self, limit: Callable[[], int], now: Callable[[], float]) -> None:
        self._limit = limit
        self._now = now
        self._window = -1
        self._used = 0

    def take(self) -> Budget:
        """Count one request if the budget allows it."""
        now = self._now()
        window = int(now // RATE_LIMIT_WINDOW_SECONDS)
        if window != self._window:
            self._window, self._used = window, 0
        limit = self._limit()
        resets_in = max(1, math.ceil((window + 1) * RATE_LIMIT_WINDOW_SECONDS - now))
        if self._used >= limit:
            return Budget(False, limit, 0, resets_in)
        self._used += 1
        return Budget(True, limit, limit - self._used, resets_in)

    @property
    def limit(self) -> int:
        """Requests allowed per window now."""
        return self._limit()

    def reset(self) -> None:
        """Start a fresh window (sandbox reset)."""
        self._window, self._used = -1, 0

