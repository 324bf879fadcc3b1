"""Counts of Graph requests for tests and benchmarks: Cronofy's counters (per route template and
status, ``$batch`` inner requests apart), injected faults, and the per-mailbox throttle's own
(admitted, throttled, peak concurrency)."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.cronofy.request_stats import RequestStats


class GraphRequestStats(RequestStats):
    def reset(self) -> None:
        super().reset()
        self.faults_injected = 0

    def record_fault(self) -> None:
        self.faults_injected += 1

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "faults_injected": self.faults_injected}
