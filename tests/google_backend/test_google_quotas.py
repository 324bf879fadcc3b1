"""Google's per-user quota: writes told to slow down (403 userRateLimitExceeded, in
batches and alone) wait under the retry policy and are all carried out; pacing holds a
per-user limiter per account, inside the per-project one, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from google_backend.google_backend_support import (
    link_agent,
    make_backend,
    sim_events,
    upsert,
)
from zdcal.calendars.base import WriteStatus
from zdcal.http import RetryPolicy
from zdcal.http.budgets import Budgets
from zdcal.http.pacing import AllOf, Rate
from zdcal.sandbox.google import create_app
from zdcal.sandbox.google.config import GoogleSimConfig
from zdcal.sandbox.google.quota import Quotas
from zdcal.sandbox.server import ServerThread
from zdcal_testing import ManualClock

pytestmark = pytest.mark.anyio

PER_USER = 4


@pytest.fixture
def quota_clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture
def strict_server(quota_clock: ManualClock) -> Iterator[ServerThread]:
    """A simulator whose per-user quota is tiny and whose quota clock the test moves."""
    config = GoogleSimConfig(requests_per_minute_per_user=PER_USER)
    app = create_app(config)
    sim = app.state.simulator
    sim.quotas = Quotas(PER_USER, 10_000, 403, quota_clock)
    with ServerThread(app) as server:
        yield server


async def test_writes_told_to_slow_down_wait_and_are_all_carried_out(
    strict_server: ServerThread, quota_clock: ManualClock
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        quota_clock.advance(seconds=seconds)

    patient = RetryPolicy(max_attempts=20, base_delay=8.0, max_delay=30.0,
                          max_total_wait=600.0, jitter=0.0)
    async with httpx.AsyncClient(base_url=strict_server.base_url, timeout=10) as http:
        backend = make_backend(strict_server.base_url, http, policy=patient, sleep=sleep)
        agent = await link_agent(backend, http)  # calls calendarList: one of the quota
        calendar = backend.for_agent(agent)

        outcomes = await calendar.apply([upsert(t) for t in range(1, 10)])
        alone = await calendar.apply([upsert(20)])
        calendars = await calendar.calendars()  # one request alone, slowed down too

        assert [o.status for o in outcomes + alone] == [WriteStatus.DONE] * 10
        assert calendars
        assert waits, "the quota was never met"
        assert len(await sim_events(http)) == 10


async def test_a_slow_down_beyond_the_policy_is_a_retry_outcome(
    strict_server: ServerThread,
) -> None:
    async with httpx.AsyncClient(base_url=strict_server.base_url, timeout=10) as http:
        backend = make_backend(strict_server.base_url, http)  # no waiting at all
        agent = await link_agent(backend, http)

        outcomes = await backend.for_agent(agent).apply([upsert(t) for t in range(1, 8)])

    statuses = [o.status for o in outcomes]
    assert statuses.count(WriteStatus.DONE) == PER_USER - 1
    assert set(statuses[PER_USER - 1:]) == {WriteStatus.RETRY}
    assert "userRateLimitExceeded" in (outcomes[-1].reason or "")


async def test_each_account_has_its_own_budget() -> None:
    async with httpx.AsyncClient() as http:
        backend = make_backend("http://127.0.0.1:9", http, per_user=600)
        first = backend.user_limiter("a@example.com")
        assert first.scope == "google:user:a@example.com"
        assert backend.user_limiter("b@example.com").scope == "google:user:b@example.com"
        assert first.rates == (Rate(600, 60.0),)


async def test_all_of_waits_for_room_in_every_limiter() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    budgets = Budgets.local(clock=clock, sleep=sleep)
    user = budgets.rate("google:user:a", (Rate(2, 60.0),), margin=0.0)
    project = budgets.rate("google:project", (Rate(100, 60.0),))
    both = AllOf(user, project)
    for _ in range(3):
        await both.acquire()
    assert 60.0 <= sum(slept) <= 66.001  # the user's minute (and the slot that counted it)
