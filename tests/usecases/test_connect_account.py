"""Connecting a Zendesk account (``zdcal.usecases.accounts``), the one place that says
who may connect one and what connecting a connected account does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from usecase_stores import open_store, settings

from zdcal.domain import SubdomainNotAllowed
from zdcal.store import AuthKind, Store, ZendeskApiToken, ZendeskOAuth
from zdcal.usecases.accounts import (
    ConnectedElsewhere,
    NotAnAdmin,
    check_connectable,
    connect_account,
)
from zdcal.zendesk.models import User

pytestmark = pytest.mark.anyio

BASE = "https://acme.zendesk.com"
ADA = User(id=7, name="Ada", email="ada@acme.example", role="admin",
           iana_time_zone="Europe/Berlin")
TOKEN = ZendeskApiToken(email="ada@acme.example", token="first-token")
OAUTH = ZendeskOAuth(client_id="zdcal", client_secret="s3cret", access_token="oauth-token")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async for opened in open_store(tmp_path):
        yield opened


async def test_a_new_account_is_stored_with_the_admins_credentials(store: Store) -> None:
    connected = await connect_account(store, settings(), subdomain="acme", base_url=BASE,
                                      admin=ADA, credentials=TOKEN)

    assert not connected.reconnected
    assert connected.admin_agent is None
    async with store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain("acme")
        agents = await tx.agents.for_account(connected.account.id)
    assert account is not None
    assert account.credentials == TOKEN
    assert account.admin_email == "ada@acme.example"
    assert agents == []


async def test_connecting_a_connected_account_updates_its_credentials_and_keeps_the_rest(
    store: Store,
) -> None:
    first = await connect_account(store, settings(), subdomain="acme", base_url=BASE,
                                  admin=ADA, credentials=TOKEN)
    async with store.transaction() as tx:
        await tx.agents.upsert_profile(first.account.id, 42, name="Nia",
                                       email="nia@acme.example", time_zone="Etc/UTC")
        await tx.accounts.set_two_way_default(first.account.id, False)

    again = await connect_account(store, settings(), subdomain="acme", base_url=BASE,
                                  admin=ADA, credentials=OAUTH, record_admin_as_agent=True)

    assert again.reconnected
    assert again.account.id == first.account.id
    assert again.account.key == first.account.key
    assert again.account.auth_kind is AuthKind.OAUTH
    async with store.transaction() as tx:
        accounts = await tx.accounts.all()
        agents = await tx.agents.for_account(first.account.id)
    assert [a.credentials for a in accounts] == [OAUTH]
    assert not accounts[0].two_way_default
    assert sorted(a.zendesk_user_id for a in agents) == [7, 42]
    assert again.admin_agent is not None
    assert again.admin_agent.zendesk_user_id == 7


async def test_a_connected_account_is_not_moved_to_another_base_url(store: Store) -> None:
    await connect_account(store, settings(), subdomain="acme", base_url=BASE, admin=ADA,
                          credentials=TOKEN)
    elsewhere = "https://zendesk.attacker.example"

    with pytest.raises(ConnectedElsewhere, match="another base URL"):
        await check_connectable(store, settings(), "acme", elsewhere)
    with pytest.raises(ConnectedElsewhere):
        await connect_account(store, settings(), subdomain="acme", base_url=elsewhere,
                              admin=ADA, credentials=OAUTH)
    async with store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain("acme")
    assert account is not None
    assert (account.base_url, account.credentials) == (BASE, TOKEN)


@pytest.mark.parametrize("user", [
    User(id=8, name="Kenji", email="kenji@acme.example", role="agent"),
    User(id=None, name="Anonymous user", role="end-user"),
])
async def test_only_a_zendesk_admin_may_connect(store: Store, user: User) -> None:
    with pytest.raises(NotAnAdmin, match="not an admin of acme"):
        await connect_account(store, settings(), subdomain="acme", base_url=BASE, admin=user,
                              credentials=TOKEN, record_admin_as_agent=True)

    async with store.transaction() as tx:
        assert await tx.accounts.all() == []


async def test_only_a_subdomain_on_the_operators_list_may_be_connected(store: Store) -> None:
    only_globex = settings(zendesk_allowed_subdomains="globex")

    with pytest.raises(SubdomainNotAllowed):
        await check_connectable(store, only_globex, "acme", BASE)
    with pytest.raises(SubdomainNotAllowed):
        await connect_account(store, only_globex, subdomain="acme", base_url=BASE, admin=ADA,
                              credentials=TOKEN)
    async with store.transaction() as tx:
        assert await tx.accounts.all() == []
