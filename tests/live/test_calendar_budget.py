"""The notification drain's calendar budget: it spreads the drain's requests so that
Cronofy's budget never holds one mid-cycle, and counts only the calendar API's live work."""

from __future__ import annotations

import pytest

from zdcal.calendars.cronofy.transport import CRONOFY_RATES
from zdcal.http.budgets import Ask, MemoryLedger, Window, WorkClass
from zdcal.jobs.bodies import BUDGET_SHARE, CalendarBudget, calendar_requests
from zdcal.live.metrics import Metrics


class SteppedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_refills_at_its_share_of_what_the_api_budget_sustains() -> None:
    clock = SteppedClock()
    budget = CalendarBudget(CRONOFY_RATES, monotonic=clock)
    per_minute = Window(CRONOFY_RATES[1])
    assert budget.refill_per_second == BUDGET_SHARE * per_minute.sustained
    assert budget.capacity == (1 - BUDGET_SHARE) * 500 / 2
    assert budget.seconds_until_ready() == 0.0
    budget.observe(budget.capacity + 15)  # a burst beyond the balance: 15 owed
    assert abs(budget.seconds_until_ready() - 15 / budget.refill_per_second) < 1e-9
    clock.now += 15 / budget.refill_per_second
    assert budget.seconds_until_ready() == 0.0
    budget.observe(budget.capacity + 15)  # the same total again: nothing new to charge
    assert budget.seconds_until_ready() == 0.0


@pytest.mark.anyio
async def test_a_drain_that_waits_for_its_bucket_is_not_held_by_the_api_budget() -> None:
    """The saturated case of bench/webhook_latency.py: every cycle writes one batch for
    each of 20 agents. Paced by its bucket, the drain finds Cronofy's budget open for
    every request of every cycle for ten minutes (a request held mid-cycle by the
    budget's per-minute window is what made that benchmark's latency jump), and stays
    within 500 in every minute."""
    clock = SteppedClock()
    budget = CalendarBudget(CRONOFY_RATES, monotonic=clock)
    ledger = MemoryLedger()
    windows = tuple(Window(rate) for rate in CRONOFY_RATES)
    ask = Ask("cronofy:app", windows, 1, WorkClass.LIVE)
    sent: list[float] = []
    held = 0
    while clock.now < 600:
        clock.now += budget.seconds_until_ready()
        for _ in range(20):
            held += await ledger.take(ask, clock.now) > 0
            sent.append(clock.now)
            clock.now += 0.005
        budget.observe(len(sent))
        clock.now += 0.3  # the cycle: show_many, batches, records
    assert held == 0
    assert len(sent) > 0.9 * 600 * budget.refill_per_second
    assert max(sum(1 for t in sent if start <= t < start + 60.05) for start in sent) <= 500


def test_calendar_requests_counts_only_the_calendar_apis_live_work() -> None:
    """Bulk work is held to its share by the API budgets: charging it to the drain's
    bucket made a backfill hold up another account's drains in the same worker."""
    metrics = Metrics()
    metrics.api_requests.labels("cronofy", "207", "live").inc(3)
    metrics.api_requests.labels("cronofy", "429", "live").inc()
    metrics.api_requests.labels("cronofy", "207", "bulk").inc(40)  # a backfill's batches
    metrics.api_requests.labels("zendesk", "200", "live").inc(10)
    metrics.api_requests.labels("caldav", "207", "live").inc(60)  # polls of other servers
    assert calendar_requests(metrics) == 4
    assert calendar_requests(metrics, "caldav") == 60
