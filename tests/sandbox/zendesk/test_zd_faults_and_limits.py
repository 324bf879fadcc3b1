"""Every fault knob, the account rate limit, and request stats."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory
from .test_zd_webhooks_triggers import install


@pytest.fixture
def hook_url() -> Iterator[tuple[str, list[tuple[str, float]]]]:
    """A receiver URL and the (invocation id, arrival time) of each request it got."""
    arrivals: list[tuple[str, float]] = []

    async def handle(request: Request) -> Response:
        arrivals.append((request.headers["x-zendesk-webhook-invocation-id"], time.monotonic()))
        return Response(status_code=200)

    with ServerThread(Starlette(routes=[Route("/hook", handle, methods=["POST"])])) as server:
        yield f"{server.base_url}/hook", arrivals


def test_error_rate_answers_503_but_never_on_the_control_api(sim: Sim) -> None:
    sim.control("PUT", "/faults", {"error_rate": 1.0})
    assert sim.agent.get("/api/v2/users/me").status_code == 503
    assert sim.control("GET", "/state")["users"]
    sim.control("PUT", "/faults", {"error_rate": 0.0})
    assert sim.agent.get("/api/v2/users/me").status_code == 200


def test_burst_429_counts_down_with_retry_after(sim: Sim) -> None:
    sim.control("PUT", "/faults", {"burst_429": 2})
    statuses = [sim.agent.get("/api/v2/users/me") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "1"


def test_latency_ms_delays_api_requests(sim: Sim) -> None:
    sim.control("PUT", "/faults", {"latency_ms": 300})
    started = time.monotonic()
    sim.agent.get("/api/v2/users/me")
    assert time.monotonic() - started >= 0.3


def test_clock_offset_knob_expires_tokens_and_moves_timestamps(sim: Sim) -> None:
    before = sim.create_ticket()
    sim.control("PUT", "/faults", {"clock_offset_seconds": 86_400})
    after = sim.create_ticket()
    moved = sim.generated_timestamp(after["id"]) - sim.generated_timestamp(before["id"])
    assert moved >= 86_400
    assert after["created_at"][:10] != before["created_at"][:10]


def test_unknown_knob_is_refused(sim: Sim) -> None:
    response = sim.anonymous.put("/_sandbox/faults", json={"gremlins": 1})
    assert response.status_code == 400


def test_webhook_drop_rate_loses_deliveries(
    sim: Sim, hook_url: tuple[str, list[tuple[str, float]]]
) -> None:
    url, arrivals = hook_url
    install(sim, url)
    sim.control("PUT", "/faults", {"webhook_drop_rate": 1.0})
    sim.create_ticket(type="task")
    records = sim.wait_deliveries(1)
    assert [r["final_status"] for r in records] == ["dropped"]
    assert arrivals == []


def test_webhook_duplicate_rate_sends_two_copies_of_one_invocation(
    sim: Sim, hook_url: tuple[str, list[tuple[str, float]]]
) -> None:
    url, arrivals = hook_url
    install(sim, url)
    sim.control("PUT", "/faults", {"webhook_duplicate_rate": 1.0})
    sim.create_ticket(type="task")
    sim.wait_deliveries(2)
    assert len(arrivals) == 2
    assert arrivals[0][0] == arrivals[1][0]


def test_webhook_delay_ms_reorders_deliveries(
    sim: Sim, hook_url: tuple[str, list[tuple[str, float]]]
) -> None:
    url, arrivals = hook_url
    install(sim, url)
    sim.control("PUT", "/faults", {"webhook_delay_ms": 400, "seed": 7})
    for _ in range(8):
        sim.create_ticket(type="task")
    records = sim.wait_deliveries(8)
    sent_order = [r["invocation_id"] for r in records]
    arrival_order = [invocation for invocation, _ in arrivals]
    assert sorted(arrival_order) == sorted(sent_order)
    assert arrival_order != sent_order


def test_account_rate_limit_answers_429_with_retry_after(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(requests_per_minute=3))
    responses = [sim.agent.get("/api/v2/users/me") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    refused = responses[-1]
    assert refused.headers["ratelimit-limit"] == "3"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Control requests are never limited; advancing the clock opens a new window.
    sim.advance(int(refused.headers["Retry-After"]))
    assert sim.agent.get("/api/v2/users/me").status_code == 200


def test_stats_count_route_templates_and_statuses(sim: Sim) -> None:
    ticket = sim.create_ticket()
    sim.agent.get(f"/api/v2/tickets/{ticket['id']}.json")
    sim.agent.get("/api/v2/tickets/99999")
    stats = sim.control("GET", "/stats")
    assert stats["by_route"]["GET /api/v2/tickets/{ticket_id}"] == 2
    assert stats["by_route_status"]["GET /api/v2/tickets/{ticket_id} 404"] == 1
    assert stats["by_route"]["POST /api/v2/tickets"] == 1
    sim.control("POST", "/stats/reset")
    assert sim.control("GET", "/stats")["total"] == 0
