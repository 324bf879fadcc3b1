"""The retry policy for the parts of a batch: rounds bounded by max_attempts and
max_total_wait, the service's Retry-After waited when it fits, else the backoff."""

from __future__ import annotations

import pytest

from zdcal.http import RetryPolicy
from zdcal.http.retry import RetryRounds

pytestmark = pytest.mark.anyio


class Sleeps:
    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


async def test_rounds_wait_the_backoff_until_attempts_run_out() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=30.0,
                         max_total_wait=60.0, jitter=0.0)
    rounds = RetryRounds(policy, sleeps, None)
    assert [await rounds.again() for _ in range(3)] == [True, True, False]
    assert sleeps.asked == [1.0, 2.0]


async def test_the_services_wait_is_honoured_only_when_it_fits() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_total_wait=10.0, jitter=0.0)
    rounds = RetryRounds(policy, sleeps, None)
    assert await rounds.again(4.0)
    assert await rounds.again(6.0)
    assert not await rounds.again(0.5)  # 10 s waited: nothing left
    assert sleeps.asked == [4.0, 6.0]


async def test_no_backoff_means_no_round() -> None:
    rounds = RetryRounds(RetryPolicy(base_delay=0.0), Sleeps(), None)
    assert not await rounds.again()
