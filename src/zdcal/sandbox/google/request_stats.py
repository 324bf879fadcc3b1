"""Counts of Calendar API requests for tests and benchmarks: the shared counters (per route
template and status, batch entries apart, injected faults) plus Google's own: calls per user
and quota refusals per user and per reason."""

from __future__ import annotations

from collections import Counter
from typing import Any

from zdcal.sandbox.request_stats import FaultedRequestStats


class GoogleRequestStats(FaultedRequestStats):
    """``requests`` are HTTP requests (a batch envelope once); ``batch_entries`` the calls
    inside batches, each also counted under its own route, as Google counts them."""

    def reset(self) -> None:
        super().reset()
        self.by_user: Counter[str] = Counter()
        self.quota_refused_by_user: Counter[str] = Counter()
        self.quota_refused: Counter[str] = Counter()

    def record_call(self, email: str) -> None:
        """An authenticated call the quotas admitted."""
        self.by_user[email] += 1

    def record_quota_refusal(self, email: str, reason: str) -> None:
        self.quota_refused_by_user[email] += 1
        self.quota_refused[reason] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            **super().snapshot(),
            "by_user": dict(sorted(self.by_user.items())),
            "quota_refused": dict(sorted(self.quota_refused.items())),
            "quota_refused_by_user": dict(sorted(self.quota_refused_by_user.items())),
        }
