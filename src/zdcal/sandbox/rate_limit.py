"""A two-window sliding budget (per second and per minute), shared by the simulators: Cronofy's
per-application limit (50 a second, 500 a minute) and Google's per-minute quotas use it."""

from __future__ import annotations

from collections import deque

from zdcal.clock import Clock


class ApplicationRateLimiter:
    """Admits a request when both windows have room; refused requests do not use budget."""

    def __init__(self, per_second: int, per_minute: int, clock: Clock) -> None:
        self.per_second = per_second
        self.per_minute = per_minute
        self.clock = clock
        self._admitted: deque[float] = deque()

    def admit(self) -> bool:
        """Count the request and say yes, or say no (the caller answers 429)."""
        now = self.clock.timestamp()
        while self._admitted and self._admitted[0] <= now - 60.0:
            self._admitted.popleft()
        if len(self._admitted) >= self.per_minute:
            return False
        in_last_second = 0
        for stamp in reversed(self._admitted):
            if stamp <= now - 1.0:
                break
            in_last_second += 1
        if in_last_second >= self.per_second:
            return False
        self._admitted.append(now)
        return True

    def reset(self) -> None:
        self._admitted.clear()
