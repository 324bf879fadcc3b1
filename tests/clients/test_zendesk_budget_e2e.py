"""zdcal's Zendesk client paced by its account's budget: it starts from a conservative
default, learns the plan's limit from the first answer's headers, and never collects a
429 for it (the simulator refuses beyond the limit; one attempt only, so a 429 raises)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from zdcal.http import Budgets, Rate, RetryPolicy
from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import ZendeskSimConfig, create_app
from zdcal.zendesk import ApiTokenAuth, ZendeskClient

ADMIN = ApiTokenAuth("admin@sandbox.example", "sandbox-admin-token")


@pytest.fixture
def four_a_minute() -> Iterator[str]:
    with ServerThread(create_app(ZendeskSimConfig(requests_per_minute=4))) as server:
        yield server.base_url


@pytest.mark.anyio
async def test_the_plan_limit_is_learned_and_kept_to(four_a_minute: str) -> None:
    budgets = Budgets.local()
    budget = budgets.rate("zendesk:account:1", (Rate(100, 60.0),))
    async with ZendeskClient(
        four_a_minute, ADMIN, budget=budget, policy=RetryPolicy(max_attempts=1)
    ) as client:
        for _ in range(4):
            await client.me()
        # The default (100) would send a fifth now and be refused; the learned 4 waits.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.me(), 0.5)
        assert client.rate_limit is not None
        assert client.rate_limit.remaining == 0


@pytest.mark.anyio
async def test_the_webhooks_budget_is_not_taken_for_the_plan(four_a_minute: str) -> None:
    budgets = Budgets.local()
    budget = budgets.rate("zendesk:account:1", (Rate(3, 60.0),))
    async with ZendeskClient(four_a_minute, ADMIN, budget=budget) as client:
        for _ in range(3):  # each answers x-rate-limit: 100, the Webhooks API's own
            await client.list_webhooks()
        # Still the default 3: nothing learned from those answers, 3 sends taken.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(budget.acquire(), 0.3)
