"""Outlook's limits per app and mailbox (4 concurrent requests, N per 10 minutes) and the fault
knobs, each answered in Graph's 429/503 shape with Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from graph_shapes import body_problems
from ms_sim_support import OTHER, Graph, error_code, mint

from zdcal.sandbox.microsoft import MicrosoftSimConfig, create_app
from zdcal.sandbox.server import ServerThread


async def _burst(base_url: str, token: str, count: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {token}"}
        return list(await asyncio.gather(*(client.get("/v1.0/me/events", headers=headers)
                                           for _ in range(count))))


def test_more_than_four_concurrent_requests_are_throttled(
    graph: Graph, http: httpx.Client, ms_server: ServerThread
) -> None:
    http.put("/_sandbox/faults", json={"latency_ms": 300})
    answers = asyncio.run(_burst(ms_server.base_url, graph.token, 7))
    http.put("/_sandbox/faults", json={"latency_ms": 0})
    assert [p for a in answers for p in body_problems(a.json())] == []
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 4 + [429] * 3
    throttled = next(a for a in answers if a.status_code == 429)
    assert throttled.headers["retry-after"] == "1"
    error = throttled.json()["error"]
    assert error["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in error["message"]
    assert error["innerError"]["status"] == "429"
    stats = http.get("/_sandbox/stats").json()["mailboxes"]
    me = graph.get("/me").json()["id"]
    assert stats[me]["max_in_flight"] == 4
    assert stats[me]["throttled"] == 3


@pytest.fixture
def small_window() -> Iterator[ServerThread]:
    with ServerThread(create_app(MicrosoftSimConfig(requests_per_window=3))) as server:
        yield server


def test_request_rate_per_mailbox(small_window: ServerThread) -> None:
    with httpx.Client(base_url=small_window.base_url, timeout=10) as http:
        agent = Graph(http, mint(http))
        assert [agent.get("/me/events").status_code for _ in range(4)] == [200, 200, 200, 429]
        last = agent.get("/me/events")
        assert error_code(last) == "ApplicationThrottled"
        assert 1 <= int(last.headers["retry-after"]) <= 600
        other = Graph(http, mint(http, OTHER))
        assert other.get("/me/events").status_code == 200  # other mailboxes are unaffected
        assert agent.problems == other.problems == []


def test_fault_knobs_answer_in_graph_shape(graph: Graph, http: httpx.Client) -> None:
    http.put("/_sandbox/faults", json={"burst_429": 1})
    limited = graph.get("/me/events")
    assert (limited.status_code, error_code(limited)) == (429, "TooManyRequests")
    assert limited.headers["retry-after"] == "1"
    http.put("/_sandbox/faults", json={"error_rate": 1.0})
    down = graph.get("/me/events")
    http.put("/_sandbox/faults", json={"error_rate": 0.0})
    assert (down.status_code, error_code(down)) == (503, "serviceNotAvailable")
    assert graph.get("/me/events").status_code == 200
    assert http.put("/_sandbox/faults", json={"nonsense": 1}).status_code == 422


def test_scripted_failures_clock_and_counters(graph: Graph, http: httpx.Client) -> None:
    scripted = http.post("/_sandbox/faults/failures", json={
        "status": 503, "count": 2, "method": "POST", "path": "/v1.0/me/events"})
    assert scripted.status_code == 200
    body = {"subject": "x", "start": {"dateTime": "2030-05-01T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-05-01T10:00:00", "timeZone": "UTC"}}
    assert [graph.post("/me/events", json=body).status_code for _ in range(3)] == [
        503, 503, 201]
    assert graph.get("/me/events").status_code == 200  # GETs were never scripted
    http.post("/_sandbox/faults/failures", json={"status": 410, "reason": "resyncRequired"})
    gone = graph.get("/me/calendars")
    assert (gone.status_code, error_code(gone)) == (410, "resyncRequired")
    stats = http.get("/_sandbox/stats").json()
    assert stats["by_route"]["POST /v1.0/me/events"] == 3
    assert stats["by_status"]["503"] == 2
    assert stats["faults_injected"] == 3
    assert http.post("/_sandbox/faults/failures", json={"status": 200}).status_code == 422

    moved = http.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert moved.json()["offset_seconds"] == 3600
    expired = graph.get("/me")
    assert (expired.status_code, error_code(expired)) == (401, "InvalidAuthenticationToken")
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/stats").json()["requests"] == 0
