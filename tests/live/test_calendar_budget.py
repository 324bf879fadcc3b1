"""The notification worker's calendar budget: it never lets notifications spend more
than the per-minute allowance, whatever the burst."""

from __future__ import annotations

from zdcal.calendars.cronofy.transport import CRONOFY_RATES
from zdcal.jobs.bodies import CalendarBudget, calendar_requests
from zdcal.live.metrics import Metrics


class SteppedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_refills_at_ninety_percent_of_the_per_minute_rate() -> None:
    clock = SteppedClock()
    budget = CalendarBudget(CRONOFY_RATES, monotonic=clock)
    assert budget.refill_per_second == 0.9 * 500 / 60
    assert budget.capacity == (1 - 0.9) * 500 / 2
    assert budget.seconds_until_ready() == 0.0
    budget.observe(budget.capacity + 15)  # a burst beyond the balance: 15 owed
    assert abs(budget.seconds_until_ready() - 15 / budget.refill_per_second) < 1e-9
    clock.now += 15 / budget.refill_per_second
    assert budget.seconds_until_ready() == 0.0
    budget.observe(budget.capacity + 15)  # the same total again: nothing new to charge
    assert budget.seconds_until_ready() == 0.0


def test_a_worker_that_waits_for_the_budget_stays_within_the_minute() -> None:
    clock = SteppedClock()
    budget = CalendarBudget(CRONOFY_RATES, monotonic=clock)
    sent: list[float] = []
    total = 0
    while clock.now < 180:
        clock.now += budget.seconds_until_ready()
        burst = 20  # each cycle writes one batch for each of 20 agents
        total += burst
        sent.extend([clock.now] * burst)
        budget.observe(total)
        clock.now += 0.5  # the collect window
    for start in sent:
        in_window = sum(1 for t in sent if start <= t < start + 60)
        assert in_window <= 500 + 20  # one burst may straddle the window's edge


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
