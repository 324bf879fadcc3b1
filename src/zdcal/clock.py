"""The one clock. Logic receives a Clock; nothing deep inside reads the wall clock itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time. Injected wherever time matters so tests and simulators can steer it."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...

    def timestamp(self) -> float:
        """The current instant as unix seconds."""
        ...


class SystemClock:
    """The machine's clock, optionally shifted (simulators use the shift as a fault knob)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def timestamp(self) -> float:
        return time.time() + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)
