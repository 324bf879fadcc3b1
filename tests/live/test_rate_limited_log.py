"""The one rate-limited log: a line per kind of event per interval, the rest counted."""

from __future__ import annotations

import logging

import pytest

from zdcal.live.logs import RateLimitedLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_kind_per_interval_then_the_count_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    log = RateLimitedLog(logging.getLogger("zdcal.test.flood"), every=60.0, monotonic=clock)
    with caplog.at_level(logging.WARNING, logger="zdcal.test.flood"):
        for _ in range(500):
            log.warning("bad signature", "rejected: bad signature")
            log.warning("unknown account", "rejected: unknown account")
            clock.now += 0.01
        assert [r.getMessage() for r in caplog.records] == [
            "rejected: bad signature", "rejected: unknown account"]
        clock.now += 60.0
        log.warning("bad signature", "rejected: bad signature")
    last = caplog.records[-1]
    assert last.getMessage() == (
        "rejected: bad signature (499 more like it in the last 65 s not logged)")
    assert last.held_back == 499
    assert len(caplog.records) == 3

