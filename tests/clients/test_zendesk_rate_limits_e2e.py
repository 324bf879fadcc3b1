"""zdcal's Zendesk client with the rate-limit headers real Zendesk sends, and no others.

Recorded traffic (tests/fixtures/zendesk/recorded__admin_objects.json): the exports carry
no zendesk-ratelimit-* header; the Webhooks API reports only its own x-rate-limit (100).
"""

from __future__ import annotations

import time

import httpx
import pytest

from clients.conftest import Sim
from clients.remote_script import ScriptedRemote
from zdcal.zendesk import ApiTokenAuth, ZendeskClient

ADMIN = ApiTokenAuth("admin@sandbox.example", "sandbox-admin-token")
WEBHOOK = {
    "name": "decoy",
    "endpoint": "https://hooks.example/zendesk",
    "http_method": "POST",
    "request_format": "json",
    "status": "inactive",
}


@pytest.mark.anyio
async def test_webhooks_answers_leave_the_account_headroom_alone(zendesk_sim: Sim) -> None:
    async with ZendeskClient(zendesk_sim.base_url, ADMIN) as client:
        await client.me()
        await client.create_webhook(WEBHOOK)
        await client.list_webhooks()
        account = client.rate_limit
    assert account is not None
    # x-rate-limit: 100 on the webhooks answers is the Webhooks API's own budget.
    assert account.limit == 700
    assert account.remaining == 699


@pytest.mark.anyio
async def test_2023_header_spelling_is_read_too() -> None:
    remote = ScriptedRemote(
        httpx.Response(
            200,
            json={"user": {"id": 1, "role": "admin"}},
            headers={
                "x-rate-limit": "700",
                "x-rate-limit-remaining": "656",
                "rate-limit": "700",
                "rate-limit-remaining": "656",
                "rate-limit-reset": "45",
                "zendesk-rate-limit-tickets-index": "total=100; remaining=99; resets=17",
            },
        )
    )
    async with remote.client() as http:
        client = ZendeskClient("https://acme.zendesk.com", ADMIN, http=http)
        await client.me()
    assert client.rate_limit is not None
    assert (client.rate_limit.limit, client.rate_limit.remaining) == (700, 656)
    assert client.rate_limit.reset_seconds == 45.0
    assert client.endpoint_rate_limits["tickets-index"].limit == 100


@pytest.mark.anyio
async def test_export_limit_is_honoured_from_retry_after_alone(zendesk_sim: Sim) -> None:
    zendesk_sim.post("/clock", {"advance_seconds": 120})
    waits: list[float] = []

    async def sleep_on_the_simulator_clock(seconds: float) -> None:
        waits.append(seconds)
        zendesk_sim.post("/clock", {"advance_seconds": seconds})

    start = int(time.time()) - 3600
    async with ZendeskClient(
        zendesk_sim.base_url, ADMIN, sleep=sleep_on_the_simulator_clock
    ) as client:
        for _ in range(11):  # one more than the export's 10 a minute
            page = await client.incremental_tickets_page(start_time=start)
        limits = dict(client.endpoint_rate_limits)
    assert page.end_of_stream
    assert len(waits) == 1
    assert 1 <= waits[0] <= 60  # the 429's Retry-After, not a guessed backoff
    assert limits == {}
    stats = zendesk_sim.get("/stats")
    assert stats["by_status"]["429"] == 1
