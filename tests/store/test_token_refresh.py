"""Refreshing one agent's Cronofy tokens from two stores at once (two connection pools on
one database, as two processes would have) never locks the agent out, whether Cronofy
rotates the refresh token or answers the same one. Real HTTP to the Cronofy simulator,
real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from store.conftest import add_account, add_agent
from zdcal.calendars.base import CalendarAuthorizationExpired
from zdcal.calendars.cronofy import TokenRefreshFailed
from zdcal.calendars.cronofy import oauth as cronofy_oauth
from zdcal.calendars.cronofy.connector import CronofyBackend
from zdcal.clock import SystemClock
from zdcal.sandbox.cronofy import CronofySimConfig, create_app
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent, AgentStatus, CalendarTokens, Store, Vault, create_engine
from zdcal.sync.token_refresh import AgentTokenRefresh

pytestmark = pytest.mark.anyio

CLIENT_ID, CLIENT_SECRET = "zdcal-sandbox", "zdcal-sandbox-secret"
ADA = CalendarTokens("sandbox-access-ada", "sandbox-refresh-ada", None)


@pytest.fixture
def cronofy() -> Iterator[tuple[str, httpx.Client]]:
    """A fresh Cronofy simulator (Ada and Bob) and a client for its control API."""
    with (
        ServerThread(create_app(CronofySimConfig())) as server,
        httpx.Client(base_url=f"{server.base_url}/_sandbox", timeout=10) as control,
    ):
        yield server.base_url, control


@pytest.fixture
async def two_stores(database_url: str, vault: Vault) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, each with its own engine and connections."""
    first = Store(create_engine(database_url), vault, SystemClock())
    second = Store(create_engine(database_url), vault, SystemClock())
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def connected_agent(store: Store) -> int:
    agent_id = await add_agent(store, await add_account(store), 1001)
    async with store.transaction() as tx:
        await tx.agents.connect(
            agent_id, calendar_account_id="acc_sandbox_ada", data_center="us", tokens=ADA
        )
    return agent_id


def connector(store: Store, api_url: str, http: httpx.AsyncClient) -> CronofyBackend:
    return CronofyBackend(
        api_base_url=api_url,
        app_base_url=api_url,
        data_center="us",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        http=http,
        limiter=None,
        clock=SystemClock(),
        coordinate_refresh=lambda agent_id: AgentTokenRefresh(store, agent_id),
    )


def live_refresh_token(control: httpx.Client) -> str:
    accounts = control.get("/accounts").json()["accounts"]
    ada: dict[str, Any] = next(a for a in accounts if a["account_id"] == "acc_sandbox_ada")
    (grant,) = ada["grants"]
    return str(grant["refresh_token"])


def token_requests(control: httpx.Client) -> int:
    return int(control.get("/stats").json()["by_route"].get("POST /oauth/token", 0))


async def agent_in(store: Store, agent_id: int) -> Agent:
    async with store.transaction() as tx:
        agent = await tx.agents.get(agent_id)
    assert agent is not None
    return agent


async def stored_tokens(store: Store, agent_id: int) -> tuple[CalendarTokens | None, AgentStatus]:
    async with store.transaction() as tx:
        agent = await tx.agents.get(agent_id)
    assert agent is not None
    return agent.tokens, agent.status


@pytest.mark.parametrize("mode", ["rotate", "same"])
async def test_two_stores_refreshing_at_once_refresh_once_and_keep_the_agent(
    mode: str, cronofy: tuple[str, httpx.Client], two_stores: tuple[Store, Store]
) -> None:
    api_url, control = cronofy
    control.put("/behaviour", json={"refresh_token_mode": mode}).raise_for_status()
    first, second = two_stores
    agent_id = await connected_agent(first)
    # Cronofy's clock moves past the access token's life: every call answers 401.
    control.post("/clock", json={"offset_seconds": 7200}).raise_for_status()
    control.post("/stats/reset").raise_for_status()

    async with httpx.AsyncClient() as http_a, httpx.AsyncClient() as http_b:
        processes = [(connector(first, api_url, http_a), await agent_in(first, agent_id)),
                     (connector(second, api_url, http_b), await agent_in(second, agent_id))]
        calls = [
            process.client_for(agent).list_calendars()
            for process, agent in processes
            for _ in range(3)  # and three clients per process, as concurrent tasks make
        ]
        results = await asyncio.gather(*calls)

    assert all(len(calendars) == 4 for calendars in results)
    assert token_requests(control) == 1, control.get("/stats").json()  # serialised
    tokens, status = await stored_tokens(second, agent_id)
    assert status is AgentStatus.ACTIVE
    assert tokens is not None
    assert tokens.refresh_token == live_refresh_token(control)  # whatever came back
    assert (tokens.refresh_token == ADA.refresh_token) is (mode == "same")


async def test_a_refused_refresh_takes_the_tokens_another_process_stores(
    cronofy: tuple[str, httpx.Client], two_stores: tuple[Store, Store]
) -> None:
    """Process A rotated the refresh token at Cronofy (its lease had run out) and stores the
    new tokens a moment later; process B, still holding the old refresh token, is refused
    (invalid_grant) and must take A's tokens instead of giving the agent up."""
    api_url, control = cronofy
    first, second = two_stores
    agent_id = await connected_agent(first)
    control.post("/clock", json={"offset_seconds": 7200}).raise_for_status()

    async with httpx.AsyncClient() as http:
        rotated = await cronofy_oauth.refresh(
            http, api_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            refresh_token=ADA.refresh_token,
        )

        async def process_a_stores_late() -> None:
            await asyncio.sleep(0.3)
            async with first.transaction() as tx:
                await tx.agents.set_tokens(
                    agent_id,
                    CalendarTokens(rotated.access_token, rotated.refresh_token, None),
                )

        process_b = connector(second, api_url, http)
        agent = await agent_in(second, agent_id)
        assert agent.tokens == ADA
        calendars, _ = await asyncio.gather(
            process_b.client_for(agent).list_calendars(), process_a_stores_late()
        )

    assert len(calendars) == 4
    tokens, status = await stored_tokens(second, agent_id)
    assert status is AgentStatus.ACTIVE
    assert tokens is not None
    assert tokens.refresh_token == rotated.refresh_token


async def test_a_revoked_authorization_is_still_refused_after_the_wait(
    cronofy: tuple[str, httpx.Client], two_stores: tuple[Store, Store]
) -> None:
    api_url, control = cronofy
    first, _ = two_stores
    agent_id = await connected_agent(first)
    control.post("/accounts/acc_sandbox_ada/revoke").raise_for_status()
    refresh = AgentTokenRefresh(first, agent_id, settle_seconds=0.3)

    async with httpx.AsyncClient() as http:

        async def at_cronofy(stale: CalendarTokens) -> CalendarTokens:
            try:
                fresh = await cronofy_oauth.refresh(
                    http, api_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                    refresh_token=stale.refresh_token,
                )
            except TokenRefreshFailed as exc:
                raise CalendarAuthorizationExpired(str(exc)) from exc
            return CalendarTokens(fresh.access_token, fresh.refresh_token, fresh.expires_at)

        with pytest.raises(CalendarAuthorizationExpired):
            await refresh(ADA, at_cronofy)
        # The lease was released: the next refresher does not wait for it.
        async with first.transaction() as tx:
            assert await tx.token_refresh_leases.take(agent_id, "next", timedelta(seconds=5))
