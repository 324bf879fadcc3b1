"""Throttling: Graph's 429/503 with Retry-After are waited out (inside $batch too) and
nothing is lost; at most 4 requests per mailbox are in flight; the per-mailbox budget
is paced."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from microsoft_backend.ms_backend_support import (
    event_id,
    link_agent,
    mailbox,
    make_backend,
    marker,
    upsert,
)
from zdcal.calendars.base import WriteStatus
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.calendars.microsoft.mailbox import Mailboxes
from zdcal.http import RetryPolicy
from zdcal.http.budgets import Budgets
from zdcal.sandbox.server import ServerThread

pytestmark = pytest.mark.anyio
PATIENT = RetryPolicy(max_attempts=6, base_delay=0.0, max_total_wait=60.0)


class Sleeps:
    """An injected sleep that records what it was asked to wait, and yields at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


async def _backend(server: ServerThread, http: httpx.AsyncClient, sleeps: Sleeps
                   ) -> MicrosoftBackend:
    return make_backend(server.base_url, http, policy=PATIENT, sleep=sleeps)


async def test_429s_inside_a_batch_are_waited_out_and_nothing_is_lost(
    microsoft_server: ServerThread, sim: httpx.AsyncClient
) -> None:
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=10) as http:
        backend = await _backend(microsoft_server, http, sleeps)
        agent = await link_agent(backend, sim)
        assert agent.calendar_id is not None
        await sim.put("/_sandbox/faults", json={"burst_429": 7})

        outcomes = await backend.for_agent(agent).apply(
            [upsert(t, agent.calendar_id) for t in range(1, 11)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE] * 10
    assert sorted(marker(e) or "" for e in await mailbox(sim)) == sorted(
        event_id(t) for t in range(1, 11))
    assert sleeps.asked
    assert all(s == 1.0 for s in sleeps.asked)


async def test_a_503_on_a_single_call_is_retried_after_its_retry_after(
    microsoft_server: ServerThread, sim: httpx.AsyncClient
) -> None:
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=10) as http:
        backend = await _backend(microsoft_server, http, sleeps)
        agent = await link_agent(backend, sim)
        await sim.post("/_sandbox/faults/failures",
                       json={"status": 503, "count": 2, "method": "GET",
                             "path": "/v1.0/me/calendars"})

        calendars = await backend.for_agent(agent).calendars()

    assert len(calendars) == 3
    assert sleeps.asked == [1.0, 1.0]


async def test_at_most_four_requests_per_mailbox_are_in_flight(
    microsoft_server: ServerThread, sim: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        backend = make_backend(microsoft_server.base_url, http)
        agent = await link_agent(backend, sim)
        assert agent.calendar_id is not None
        cal = agent.calendar_id
        await sim.put("/_sandbox/faults", json={"latency_ms": 40})
        await sim.post("/_sandbox/stats/reset")

        async def write(first: int) -> None:
            actions = [upsert(first + i, cal) for i in range(6)]
            outcomes = await backend.for_agent(agent).apply(actions)
            assert {o.status for o in outcomes} == {WriteStatus.DONE}

        async def list_calendars() -> None:
            assert len(await backend.for_agent(agent).calendars()) == 3

        await asyncio.gather(write(100), write(200), *(list_calendars() for _ in range(8)))
        await sim.put("/_sandbox/faults", json={"latency_ms": 0})

    stats = (await sim.get("/_sandbox/stats")).json()["mailboxes"]
    assert len(stats) == 1
    (only,) = stats.values()
    assert only["throttled"] == 0
    assert 1 < only["max_in_flight"] <= 4
    assert len(await mailbox(sim)) == 12


async def test_the_per_mailbox_budget_paces_requests(
    microsoft_server: ServerThread, sim: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        backend = make_backend(microsoft_server.base_url, http, per_mailbox=3)
        agent = await link_agent(backend, sim)
        calendar = backend.for_agent(agent)
        started = time.monotonic()
        for _ in range(3):
            await calendar.calendars()
        # The window is 10 minutes: a fourth request would wait for minutes.
        assert time.monotonic() - started < 5
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(calendar.calendars(), timeout=0.5)


def test_mailbox_limits_are_budgets_of_the_mailbox() -> None:
    boxes = Mailboxes(Budgets.local(), 10_000)
    box = boxes.get("a")
    assert box.limiter.scope == "microsoft:mailbox:a"
    assert box.slots.scope == "microsoft:mailbox-inflight:a"
    assert box.slots.limit == 4
    assert boxes.get(None).limiter.budgets is not boxes.get(None).limiter.budgets  # linking
