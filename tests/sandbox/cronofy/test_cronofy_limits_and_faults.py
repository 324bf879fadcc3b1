"""Rate limits (50/s, 500/min per application) and every fault knob."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cronofy_sim_support import Receiver, Sim, load_fixture

from zdcal.sandbox.cronofy import CronofySimConfig, create_app
from zdcal.sandbox.rate_limit import ApplicationRateLimiter
from zdcal.sandbox.request_stats import busiest_window
from zdcal.sandbox.server import ServerThread


class SteppedClock:
    """A Clock that moves only when told to (implements zdcal.clock.Clock)."""

    def __init__(self) -> None:
        self.now_seconds = 1_000_000.0

    def timestamp(self) -> float:
        return self.now_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_seconds, tz=UTC)


def test_rate_limiter_windows() -> None:
    clock = SteppedClock()
    limiter = ApplicationRateLimiter(50, 500, clock)
    assert all(limiter.admit() for _ in range(50))
    assert not limiter.admit()
    for _ in range(9):
        clock.now_seconds += 1.0
        assert all(limiter.admit() for _ in range(50))
    clock.now_seconds += 1.0
    assert not limiter.admit()  # 500 in the last minute
    clock.now_seconds += 50.5
    assert limiter.admit()


@pytest.fixture
def lone_sim() -> Iterator[Sim]:
    """A simulator of its own, so bursts cannot disturb other tests."""
    with (
        ServerThread(create_app(CronofySimConfig())) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as http,
    ):
        yield Sim(server.base_url, http)


def test_over_50_per_second_is_429_without_retry_after(lone_sim: Sim) -> None:
    token = lone_sim.accounts()[0]["access_token"]

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=lone_sim.base_url) as http:
            headers = {"Authorization": f"Bearer {token}"}
            return await asyncio.gather(
                *(http.get("/v1/calendars", headers=headers) for _ in range(120))
            )

    statuses = [r.status_code for r in asyncio.run(burst())]
    assert statuses.count(200) <= 100  # at most two one-second windows' worth
    refused = [r for r in asyncio.run(burst()) if r.status_code == 429]
    assert refused
    assert all("retry-after" not in r.headers and r.content == b"" for r in refused)
    assert lone_sim.control("GET", "/accounts").status_code == 200  # control is not limited
    # Both bursts arrived within a minute: refused requests are counted as they arrived.
    assert lone_sim.control("GET", "/stats").json()["busiest_minute"] == 240


def test_busiest_window_counts_as_a_sliding_limit_does() -> None:
    assert busiest_window([], 1.0) == 0
    assert busiest_window([0.0, 0.5, 1.0, 1.2, 3.0], 1.0) == 3  # (0.2, 1.2]
    assert busiest_window([0.0, 1.0, 2.0], 1.0) == 1  # a window is open at its start
    assert busiest_window([float(s) for s in range(120)], 60.0) == 60


def test_500_per_minute(lone_sim: Sim) -> None:
    token = lone_sim.accounts()[0]["access_token"]

    async def fifty() -> list[int]:
        async with httpx.AsyncClient(base_url=lone_sim.base_url) as http:
            headers = {"Authorization": f"Bearer {token}"}
            answers = await asyncio.gather(
                *(http.get("/v1/account", headers=headers) for _ in range(50))
            )
            return [answer.status_code for answer in answers]

    for _ in range(10):
        # 50 at a time, then past the one-second window: only the minute budget is spent.
        assert asyncio.run(fifty()) == [200] * 50
        lone_sim.control("POST", "/clock", json={"advance_seconds": 1.5})
    assert lone_sim.api("GET", "/v1/account", token).status_code == 429
    lone_sim.control("POST", "/clock", json={"advance_seconds": 60})
    assert lone_sim.api("GET", "/v1/account", token).status_code == 200
    stats = lone_sim.control("GET", "/stats").json()
    assert stats["by_route"]["GET /v1/account"] == 502
    assert stats["by_status"]["429"] == 1


def test_error_rate_and_burst_429(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    sim.control("PUT", "/faults", json={"error_rate": 1})
    assert sim.api("GET", "/v1/account", token).status_code == 503
    assert sim.control("GET", "/accounts").status_code == 200  # never faulted
    sim.control("PUT", "/faults", json={"error_rate": 0, "burst_429": 2})
    statuses = [sim.api("GET", "/v1/account", token).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert sim.control("PUT", "/faults", json={"error_rate": 2}).status_code == 422
    assert sim.control("PUT", "/faults", json={"nonsense": 1}).status_code == 422


def test_latency(sim: Sim, grace: dict[str, Any]) -> None:
    sim.control("PUT", "/faults", json={"latency_ms": 200})
    started = time.monotonic()
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    sim.control("GET", "/accounts")
    assert time.monotonic() - started < 0.2


def test_clock_offset_knob_expires_tokens(sim: Sim, grace: dict[str, Any]) -> None:
    sim.control("PUT", "/faults", json={"clock_offset_seconds": 7200})
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 401
    sim.control("PUT", "/faults", json={"clock_offset_seconds": 0})
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 200


def _channel(sim: Sim, token: str, url: str) -> dict[str, Any]:
    body = {**load_fixture("channel__create"), "callback_url": url}
    response = sim.api("POST", "/v1/channels", token, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["channel"])


def test_webhook_drop_duplicate_and_delay(
    sim: Sim, grace: dict[str, Any], fresh_receiver: Receiver
) -> None:
    token = grace["access_token"]
    sim.control("PUT", "/faults", json={"webhook_drop_rate": 1})
    _channel(sim, token, fresh_receiver.url("/dropped"))
    log = sim.control("GET", "/notifications").json()["deliveries"]
    assert [d["outcome"] for d in log] == ["dropped"]

    sim.control("PUT", "/faults", json={"webhook_drop_rate": 0, "webhook_duplicate_rate": 1})
    _channel(sim, token, fresh_receiver.url("/twice"))
    twice = fresh_receiver.wait_for(2)
    assert twice[0].body == twice[1].body

    sim.control("PUT", "/faults", json={"webhook_duplicate_rate": 0, "webhook_delay_ms": 300})
    started = time.monotonic()
    for _ in range(4):
        _channel(sim, token, fresh_receiver.url("/late"))
    fresh_receiver.wait_for(6)
    assert time.monotonic() - started < 5
    assert fresh_receiver.received == fresh_receiver.wait_for(6)
