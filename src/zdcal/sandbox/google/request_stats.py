"""Counts of Calendar API requests for tests and benchmarks: Cronofy's counters (per route
template and status, batch entries apart) plus Google's own: calls per user, quota refusals
per user and per reason, injected faults."""

from __future__ import annotations

from collections import Counter
from typing import Any

from zdcal.sandbox.cronofy.request_stats import RequestStats


class GoogleRequestStats(RequestStats):
    """``requests`` are HTTP requests (a batch envelope once); ``batch_entries`` the calls
    inside batches, each also counted under its own route, as Google counts them."""

    def reset(self) -> None:
        super().reset()
        self.by_user: Counter[str] = Counter()
        self.quota_refused_by_user: Counter[str] = Counter()
        self.quota_refused: Counter[str] = Counter()
        self.faults_injected = 0

    def record_call(self, email: str) -> None:
        """An authenticated call the quotas admitted."""
        self.by_user[email] += 1

    def record_quota_refusal(self, email: str, reason: str) -> None:
        self.quota_refused_by_user[email] += 1
        self.quota_refused[reason] += 1

    def record_fault(self) -> None:
        self.faults_injected += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            **super().snapshot(),
            "by_user": dict(sorted(self.by_user.items())),
            "quota_refused": dict(sorted(self.quota_refused.items())),
            "quota_refused_by_user": dict(sorted(self.quota_refused_by_user.items())),
            "faults_injected": self.faults_injected,
        }
