"""Counts of API requests by method + route template and by status, for tests and benches."""

from __future__ import annotations

from collections import Counter
from typing import Any


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
