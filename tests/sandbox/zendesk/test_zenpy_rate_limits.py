"""Fidelity: zenpy, unchanged, reads the simulator's rate-limit headers as it reads real
Zendesk's: its proactive limit counts down ``X-Rate-Limit-Remaining`` (zenpy/lib/api.py,
``_ratelimit``), and a refusal carries ``Retry-After`` and the plan's ``ratelimit-limit``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zenpy import Zenpy

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import ADMIN, Sim, SimFactory


@pytest.fixture
def limited(make_sim: SimFactory) -> Sim:
    return make_sim(ZendeskSimConfig(requests_per_minute=5))


@pytest.fixture
def zenpy(limited: Sim, monkeypatch: pytest.MonkeyPatch) -> Iterator[Zenpy]:
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", limited.base_url.removeprefix("http://"))
    email, token = ADMIN
    client = Zenpy(subdomain="sandbox", email=email, token=token, disable_cache=True,
                   timeout=10, proactive_ratelimit=1, proactive_ratelimit_request_interval=1)
    yield client
    client.users.session.close()


def test_zenpy_counts_down_the_remaining_requests(zenpy: Zenpy) -> None:
    remaining = []
    for _ in range(3):
        zenpy.users.me()
        remaining.append(zenpy.users.callsafety["lastlimitremaining"])
    assert remaining == [4, 3, 2]


def test_the_plan_limit_and_the_wait_come_with_a_refusal(limited: Sim) -> None:
    responses = [limited.agent.get("/api/v2/users/me.json") for _ in range(6)]
    refused = responses[-1]
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit"] == refused.headers["ratelimit-limit"] == "5"
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    assert refused.headers["Retry-After"] == refused.headers["ratelimit-reset"]
