"""The settings use-cases (``zdcal.usecases.settings``) and an admin's resync
(``zdcal.usecases.maintenance``) on a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from usecase_stores import open_store

from zdcal.domain import InvalidEventStyle, InvalidTwoWayChoice, TwoWayChoice
from zdcal.store import Account, CalendarTokens, Store, ZendeskApiToken
from zdcal.usecases.errors import AgentNotFound
from zdcal.usecases.maintenance import request_agent_resync
from zdcal.usecases.settings import (
    set_account_default_style,
    set_account_two_way_default,
    set_agent_two_way,
)

pytestmark = pytest.mark.anyio

NIA, KENJI, OMAR = 101, 102, 103


class AgentSyncsAsked:
    """The workers' queue as the use-cases see it: which agents' events are rewritten."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None:
        self.asked.append((account_id, zendesk_user_id))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async for opened in open_store(tmp_path):
        yield opened


async def add_account(store: Store, subdomain: str) -> Account:
    async with store.transaction() as tx:
        return await tx.accounts.add(
            subdomain=subdomain, base_url=f"https://{subdomain}.zendesk.com",
            admin_email=f"admin@{subdomain}.example",
            credentials=ZendeskApiToken(f"admin@{subdomain}.example", "token"),
        )


async def add_agent(store: Store, account: Account, user_id: int, *, writing: bool) -> int:
    """An agent of ``account``; ``writing``: connected with a calendar chosen."""
    async with store.transaction() as tx:
        agent = await tx.agents.upsert_profile(account.id, user_id, name=f"agent {user_id}",
                                               email=f"{user_id}@example.com",
                                               time_zone="Etc/UTC")
        if writing:
            await tx.agents.connect(agent.id, calendar_account_id=f"acc_{user_id}",
                                    data_center="us",
                                    tokens=CalendarTokens("access", "refresh", None))
            await tx.agents.set_calendar(agent.id, "cal_work", "Work")
        return agent.id


async def test_an_agents_two_way_setting_is_stored_and_read_with_the_account_default(
    store: Store,
) -> None:
    account = await add_account(store, "acme")
    await add_agent(store, account, NIA, writing=True)
    await set_account_two_way_default(store, account.id, TwoWayChoice.OFF)

    following = await set_agent_two_way(store, account, NIA, TwoWayChoice.DEFAULT)
    own = await set_agent_two_way(store, account, NIA, TwoWayChoice.ON)

    assert (following.in_effect, following.describe()) == (False, "off (account default)")
    assert (own.in_effect, own.describe()) == (True, "on (own setting)")
    async with store.transaction() as tx:
        stored = await tx.agents.get_by_user(account.id, NIA)
    assert stored is not None
    assert stored.two_way is True


async def test_the_two_way_setting_of_an_unknown_agent_is_refused(store: Store) -> None:
    acme, globex = await add_account(store, "acme"), await add_account(store, "globex")
    await add_agent(store, globex, KENJI, writing=False)

    with pytest.raises(AgentNotFound, match=f"no agent with Zendesk user id {KENJI} in acme"):
        await set_agent_two_way(store, acme, KENJI, TwoWayChoice.OFF)


async def test_the_account_two_way_default_is_on_or_off_never_default(store: Store) -> None:
    account = await add_account(store, "acme")

    with pytest.raises(InvalidTwoWayChoice):
        await set_account_two_way_default(store, account.id, TwoWayChoice.DEFAULT)
    assert await set_account_two_way_default(store, account.id, TwoWayChoice.OFF) is False

    async with store.transaction() as tx:
        stored = await tx.accounts.get(account.id)
    assert stored is not None
    assert stored.two_way_default is False


async def test_a_default_style_rewrites_only_agents_without_their_own_who_receive_events(
    store: Store,
) -> None:
    account = await add_account(store, "acme")
    own_style = await add_agent(store, account, NIA, writing=True)
    await add_agent(store, account, KENJI, writing=True)
    await add_agent(store, account, OMAR, writing=False)
    async with store.transaction() as tx:
        await tx.agents.set_style(own_style, {"all_day": True, "private": True})
    workers = AgentSyncsAsked()

    await set_account_default_style(store, account.id, {"all_day": False,
                                                        "local_time": "09:00"}, workers)

    assert workers.asked == [(account.id, KENJI)]
    async with store.transaction() as tx:
        stored = await tx.accounts.get(account.id)
    assert stored is not None
    assert stored.default_style == {"all_day": False, "local_time": "09:00"}


async def test_a_default_style_the_rules_refuse_is_not_stored(store: Store) -> None:
    account = await add_account(store, "acme")
    await add_agent(store, account, KENJI, writing=True)
    workers = AgentSyncsAsked()

    with pytest.raises(InvalidEventStyle):
        await set_account_default_style(store, account.id, {"all_day": False,
                                                            "local_time": "25:00"}, workers)

    assert workers.asked == []
    async with store.transaction() as tx:
        stored = await tx.accounts.get(account.id)
    assert stored is not None
    assert stored.default_style is None


async def test_an_admin_resyncs_only_an_agent_of_their_own_account(store: Store) -> None:
    acme, globex = await add_account(store, "acme"), await add_account(store, "globex")
    nia = await add_agent(store, acme, NIA, writing=True)
    kenji = await add_agent(store, globex, KENJI, writing=True)
    workers = AgentSyncsAsked()

    for foreign in (kenji, None, nia + kenji + 1):
        with pytest.raises(AgentNotFound):
            await request_agent_resync(store, acme.id, foreign, workers)
    agent = await request_agent_resync(store, acme.id, nia, workers)

    assert agent.zendesk_user_id == NIA
    assert workers.asked == [(acme.id, NIA)]
