"""Client-side pacing with sliding windows, driven by an injected clock and sleep."""

from __future__ import annotations

import asyncio
import bisect
import itertools

import pytest

from clients.remote_script import RecordingSleep, SettableClock
from zdcal.http import Rate, RateLimiter


def limiter_on(
    clock: SettableClock, *rates: Rate, margin: float = 0.0
) -> tuple[RateLimiter, RecordingSleep]:
    sleep = RecordingSleep(clock)
    limiter = RateLimiter(rates, margin_seconds=margin, monotonic=clock.monotonic, sleep=sleep)
    return limiter, sleep


def most_in_any_window(times: list[float], span: float) -> int:
    """The largest number of sends inside any half-open window (t - span, t]."""
    return max(i + 1 - bisect.bisect_right(times, t - span) for i, t in enumerate(times))


@pytest.mark.anyio
async def test_a_quiet_client_may_send_a_full_window_at_once() -> None:
    clock = SettableClock()
    limiter, sleep = limiter_on(clock, Rate(5, 1.0))
    for _ in range(5):
        await limiter.acquire()
    assert sleep.delays == []
    await limiter.acquire()
    assert sleep.delays == [pytest.approx(1.0)]


@pytest.mark.anyio
async def test_cronofy_limits_hold_in_every_window_even_a_sliding_one() -> None:
    clock = SettableClock()
    limiter, _ = limiter_on(clock, Rate(50, 1.0), Rate(500, 60.0), margin=0.05)
    times: list[float] = []
    for _ in range(1200):
        await limiter.acquire()
        times.append(clock.monotonic())
    assert most_in_any_window(times, 1.0) == 50
    assert most_in_any_window(times, 60.0) == 500
    # ...and not needlessly slow: two full minutes (plus margins), then 200 at 50/s.
    elapsed = times[-1] - times[0]
    assert 2 * 60.0 + 3.0 < elapsed < 2 * 60.05 + 4.0 + 0.2


@pytest.mark.anyio
async def test_the_margin_keeps_sends_apart_by_more_than_the_window() -> None:
    clock = SettableClock()
    limiter, _ = limiter_on(clock, Rate(1, 1.0), margin=0.05)
    times = []
    for _ in range(3):
        await limiter.acquire()
        times.append(clock.monotonic())
    assert [round(b - a, 6) for a, b in itertools.pairwise(times)] == [1.05, 1.05]


@pytest.mark.anyio
async def test_idle_time_frees_the_window() -> None:
    clock = SettableClock()
    limiter, sleep = limiter_on(clock, Rate(2, 1.0))
    await limiter.acquire()
    await limiter.acquire()
    clock.advance(100)
    for _ in range(2):
        await limiter.acquire()
    assert sleep.delays == []


@pytest.mark.anyio
async def test_concurrent_waiters_are_served_one_at_a_time() -> None:
    clock = SettableClock()
    limiter, sleep = limiter_on(clock, Rate(1, 1.0))
    await asyncio.gather(*(limiter.acquire() for _ in range(4)))
    assert sleep.total == pytest.approx(3.0)


@pytest.mark.anyio
async def test_a_request_counted_several_times_takes_its_sends_together() -> None:
    # Google counts each call inside a batch: concurrent batches of 4 under 10 a minute.
    # Taken one by one, three batches would each hold 3 of the first window's sends, then
    # all go out together when the window frees (12 calls at once); taken together, two
    # go now and the third waits for room for all of its 4.
    clock = SettableClock()
    limiter, sleep = limiter_on(clock, Rate(10, 60.0))
    start = clock.monotonic()
    sent: list[float] = []

    async def batch() -> None:
        await limiter.acquire(4)
        sent.extend([clock.monotonic() - start] * 4)

    await asyncio.gather(batch(), batch(), batch())
    assert sent[:8] == [0.0] * 8
    assert sent[8:] == [60.0] * 4
    assert most_in_any_window(sorted(sent), 60.0) == 8
    assert sleep.total == pytest.approx(60.0)


@pytest.mark.anyio
async def test_a_request_heavier_than_a_window_waits_for_an_empty_one() -> None:
    clock = SettableClock()
    limiter, sleep = limiter_on(clock, Rate(3, 1.0))
    await limiter.acquire()
    await limiter.acquire(5)  # cannot ever fit: it takes a whole window
    assert sleep.total == pytest.approx(1.0)
    await limiter.acquire()
    assert sleep.total == pytest.approx(2.0)


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one request"):
        Rate(0, 1.0)
    with pytest.raises(ValueError, match="at least one rate"):
        RateLimiter([])
