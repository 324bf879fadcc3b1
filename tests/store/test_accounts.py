"""The accounts repository."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from zdcal.store import (
    AccountAlreadyExists,
    AccountNotFound,
    AuthKind,
    BackfillState,
    Store,
    Trigger,
    Webhook,
    ZendeskApiToken,
    ZendeskOAuth,
)
from zdcal.store.tables import AccountRow

from .conftest import ManualClock

pytestmark = pytest.mark.anyio

API_TOKEN = ZendeskApiToken(email="admin@acme.example", token="api-token-6c1f0e")
OAUTH = ZendeskOAuth(
    client_id="zdcal",
    client_secret="client-secret-92ab",
    access_token="access-token-113d",
    refresh_token="refresh-token-5e7a",
    expires_at=None,
)


async def _add(
    store: Store,
    subdomain: str = "acme",
    *,
    credentials: ZendeskApiToken | ZendeskOAuth = API_TOKEN,
    key: str | None = None,
) -> int:
    async with store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain=subdomain,
            base_url=f"https://{subdomain.lower()}.zendesk.com/",
            admin_email="admin@acme.example",
            credentials=credentials,
            key=key,
        )
        return account.id


async def test_add_and_find_an_account(store: Store, clock: ManualClock) -> None:
    account_id = await _add(store, "Acme")
    async with store.transaction() as tx:
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert account.subdomain == "acme"
        assert account.base_url == "https://acme.zendesk.com"
        assert re.fullmatch(r"[0-9a-f]{12}", account.key)
        assert account.credentials == API_TOKEN
        assert account.auth_kind is AuthKind.API_TOKEN
        assert account.webhook is None
        assert account.trigger is None
        assert account.backfill.state is BackfillState.NOT_STARTED
        assert account.created_at == account.updated_at == clock.now()
        assert await tx.accounts.get_by_subdomain("ACME") == account
        assert await tx.accounts.get_by_key(account.key) == account
        assert await tx.accounts.get(account_id + 1) is None
        assert await tx.accounts.get_by_subdomain("other") is None
        assert [a.id for a in await tx.accounts.all()] == [account_id]


async def test_secrets_stay_out_of_repr(store: Store) -> None:
    account_id = await _add(store, credentials=OAUTH)
    async with store.transaction() as tx:
        await tx.accounts.set_webhook(
            account_id, Webhook(id="01HW", bearer_token="bearer-xyz", signing_secrets=("sig-1",))
        )
        text = repr(await tx.accounts.get(account_id))
    for secret in ("client-secret-92ab", "access-token-113d", "refresh-token-5e7a", "bearer-xyz"):
        assert secret not in text
    assert "sig-1" not in text
    assert "acme" in text


async def test_a_subdomain_or_key_can_be_connected_once(store: Store) -> None:
    first = await _add(store, "acme", key="k0000000001")
    with pytest.raises(AccountAlreadyExists, match="'acme'"):
        await _add(store, "ACME")
    with pytest.raises(AccountAlreadyExists):
        await _add(store, "other", key="k0000000001")
    # The failed insert did not spoil the transaction it ran in.
    async with store.transaction() as tx:
        with pytest.raises(AccountAlreadyExists):
            await tx.accounts.add(
                subdomain="acme", base_url="x", admin_email="a@b.c", credentials=API_TOKEN
            )
        await tx.accounts.mark_webhook_received(first)
        assert len(await tx.accounts.all()) == 1


async def test_switching_to_oauth_replaces_every_credential(store: Store) -> None:
    account_id = await _add(store)
    async with store.transaction() as tx:
        await tx.accounts.set_credentials(account_id, OAUTH)
        account = await tx.accounts.get(account_id)
        raw = await tx.session.scalar(select(AccountRow).where(AccountRow.id == account_id))
    assert account is not None
    assert account.credentials == OAUTH
    assert account.auth_kind is AuthKind.OAUTH
    assert raw is not None
    assert raw.api_token_encrypted is None


async def test_rotated_oauth_tokens_are_stored(store: Store, clock: ManualClock) -> None:
    account_id = await _add(store, credentials=OAUTH)
    expires = clock.now() + timedelta(minutes=30)
    clock.advance(minutes=5)
    async with store.transaction() as tx:
        await tx.accounts.set_oauth_tokens(
            account_id, access_token="access-2", refresh_token="refresh-2", expires_at=expires
        )
        account = await tx.accounts.get(account_id)
    assert account is not None
    assert account.credentials == ZendeskOAuth(
        client_id="zdcal",
        client_secret="client-secret-92ab",
        access_token="access-2",
        refresh_token="refresh-2",
        expires_at=expires,
    )
    assert account.updated_at == clock.now()


async def test_webhook_trigger_and_signing_secret_rotation(store: Store) -> None:
    account_id = await _add(store)
    webhook = Webhook(id="01HWEBHOOK", bearer_token="bearer-1", signing_secrets=("s-old",))
    async with store.transaction() as tx:
        await tx.accounts.set_webhook(account_id, webhook)
        await tx.accounts.set_trigger(account_id, Trigger(id=360_012_345_678, category_id="1"))
    async with store.transaction() as tx:
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert account.webhook == webhook
        assert account.trigger == Trigger(id=360_012_345_678, category_id="1")

        await tx.accounts.set_signing_secrets(account_id, ["s-new", "s-old"])
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert account.webhook is not None
        assert account.webhook.signing_secrets == ("s-new", "s-old")
        assert account.webhook.bearer_token == "bearer-1"

        await tx.accounts.set_webhook(account_id, None)
        await tx.accounts.set_trigger(account_id, None)
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert (account.webhook, account.trigger) == (None, None)


async def test_backfill_moves_through_its_states(store: Store, clock: ManualClock) -> None:
    account_id = await _add(store)
    async with store.transaction() as tx:
        clock.advance(minutes=1)
        started = clock.now()
        await tx.accounts.set_backfill_state(account_id, BackfillState.RUNNING)
        clock.advance(minutes=9)
        await tx.accounts.set_backfill_state(account_id, BackfillState.DONE)
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert account.backfill.state is BackfillState.DONE
        assert account.backfill.started_at == started
        assert account.backfill.finished_at == clock.now()

        await tx.accounts.set_backfill_state(account_id, BackfillState.NOT_STARTED)
        account = await tx.accounts.get(account_id)
        assert account is not None
        assert (account.backfill.started_at, account.backfill.finished_at) == (None, None)


async def test_webhook_arrival_is_remembered(store: Store, clock: ManualClock) -> None:
    account_id = await _add(store)
    clock.advance(hours=2)
    async with store.transaction() as tx:
        await tx.accounts.mark_webhook_received(account_id)
        account = await tx.accounts.get(account_id)
    assert account is not None
    assert account.last_webhook_at == clock.now()


async def test_changing_or_removing_a_missing_account_is_an_error(store: Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(AccountNotFound):
            await tx.accounts.set_credentials(404, API_TOKEN)
        with pytest.raises(AccountNotFound):
            await tx.accounts.remove(404)
