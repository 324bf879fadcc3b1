"""No token or secret reaches the database in plain text; keys can be rotated."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from zdcal.store import (
    CalDAVAccount,
    CalendarTokens,
    SecretUndecryptable,
    Store,
    Vault,
    Webhook,
    ZendeskApiToken,
    ZendeskOAuth,
    create_engine,
    generate_key,
    reencrypt_secrets,
)
from zdcal.store.tables import Base, encrypted_columns

from .conftest import ManualClock

pytestmark = pytest.mark.anyio

SECRETS = {
    "api_token": "zd-api-token-8d2e61b0f5",
    "client_secret": "zd-client-secret-4f9a1c77e2",
    "access_token": "zd-access-token-0b6d93aa51",
    "refresh_token": "zd-refresh-token-c3e85f1742",
    "webhook_token": "zd-webhook-bearer-9e0f6b2d38",
    "signing_secret_new": "zd-signing-new-57ac01e9bd",
    "signing_secret_old": "zd-signing-old-1d84f2c6a0",
    "calendar_access": "cronofy-access-a6e2d9f013",
    "calendar_refresh": "cronofy-refresh-7b31ce5d84",
    "caldav_password": "caldav-app-password-e41b7c09d2",
}
CALDAV_USER = 78


async def _write_every_secret(store: Store, clock: ManualClock) -> tuple[int, int]:
    """Store one of every kind of secret; returns the OAuth account's and the agent's ids."""
    async with store.transaction() as tx:
        await tx.accounts.add(
            subdomain="tokenville",
            base_url="https://tokenville.zendesk.com",
            admin_email="admin@tokenville.example",
            credentials=ZendeskApiToken(
                email="admin@tokenville.example", token=SECRETS["api_token"]
            ),
        )
        account = await tx.accounts.add(
            subdomain="plainview",
            base_url="https://plainview.zendesk.com",
            admin_email="admin@plainview.example",
            credentials=ZendeskOAuth(
                client_id="zdcal",
                client_secret=SECRETS["client_secret"],
                access_token=SECRETS["access_token"],
                refresh_token=SECRETS["refresh_token"],
                expires_at=clock.now() + timedelta(minutes=30),
            ),
        )
        await tx.accounts.set_webhook(
            account.id,
            Webhook(
                id="01HWPLAIN",
                bearer_token=SECRETS["webhook_token"],
                signing_secrets=(SECRETS["signing_secret_new"], SECRETS["signing_secret_old"]),
            ),
        )
        agent = await tx.agents.upsert_profile(
            account.id, 77, name="Pat", email="pat@plainview.example", time_zone="Etc/UTC"
        )
        await tx.agents.connect(
            agent.id,
            calendar_account_id="acc_plain",
            data_center="us",
            tokens=CalendarTokens(
                access_token=SECRETS["calendar_access"],
                refresh_token=SECRETS["calendar_refresh"],
                expires_at=None,
            ),
        )
        caldav_agent = await tx.agents.upsert_profile(
            account.id, CALDAV_USER, name="Cal", email="cal@plainview.example",
            time_zone="Etc/UTC",
        )
        await tx.agents.connect(
            caldav_agent.id,
            calendar_account_id="https://dav.plainview.example/cal/",
            data_center="",
            tokens=CalDAVAccount(
                "https://dav.plainview.example/cal/", "cal", SECRETS["caldav_password"]
            ),
            calendar_backend="caldav",
        )
        return account.id, agent.id


async def _secrets_read_back(store: Store, account_id: int, agent_id: int) -> set[str]:
    async with store.transaction() as tx:
        account = await tx.accounts.get(account_id)
        agent = await tx.agents.get(agent_id)
        token_account = await tx.accounts.get_by_subdomain("tokenville")
        caldav_agent = await tx.agents.get_by_user(account_id, CALDAV_USER)
    assert caldav_agent is not None
    assert caldav_agent.caldav is not None
    assert account is not None
    assert agent is not None
    assert token_account is not None
    assert isinstance(token_account.credentials, ZendeskApiToken)
    assert isinstance(account.credentials, ZendeskOAuth)
    assert account.webhook is not None
    assert agent.tokens is not None
    return {
        token_account.credentials.token,
        account.credentials.client_secret,
        account.credentials.access_token,
        account.credentials.refresh_token or "",
        account.webhook.bearer_token,
        *account.webhook.signing_secrets,
        agent.tokens.access_token,
        agent.tokens.refresh_token,
        caldav_agent.caldav.password,
    }


async def test_every_encrypted_column_holds_ciphertext(
    store: Store, vault: Vault, clock: ManualClock
) -> None:
    account_id, agent_id = await _write_every_secret(store, clock)
    assert await _secrets_read_back(store, account_id, agent_id) == set(SECRETS.values())
    exercised: set[str] = set()
    async with store.transaction() as tx:
        for table_name, names in encrypted_columns().items():
            table = Base.metadata.tables[table_name]
            for row in await tx.session.execute(select(*(table.c[name] for name in names))):
                for name, stored in row._mapping.items():
                    if stored is None:
                        continue
                    exercised.add(f"{table_name}.{name}")
                    assert not any(secret in stored for secret in SECRETS.values())
                    vault.decrypt(stored)  # it is ciphertext of this vault
    every_column = {f"{t}.{name}" for t, names in encrypted_columns().items() for name in names}
    assert exercised == every_column
    assert encrypted_columns() == {
        "accounts": (
            "api_token_encrypted",
            "oauth_client_secret_encrypted",
            "oauth_access_token_encrypted",
            "oauth_refresh_token_encrypted",
            "webhook_token_encrypted",
            "webhook_signing_secrets_encrypted",
        ),
        "agents": (
            "access_token_encrypted", "refresh_token_encrypted", "caldav_password_encrypted"
        ),
    }


async def test_the_sqlite_file_contains_no_secret(
    migrated_sqlite_file: Path, tmp_path: Path, vault: Vault, clock: ManualClock
) -> None:
    database = tmp_path / "zdcal.db"
    shutil.copyfile(migrated_sqlite_file, database)

    def raw_bytes() -> bytes:
        files = [database, *database.parent.glob(f"{database.name}-*")]  # WAL and shared memory
        return b"".join(path.read_bytes() for path in files)

    store = Store(create_engine(f"sqlite+aiosqlite:///{database}"), vault, clock)
    try:
        await _write_every_secret(store, clock)
        while_open = raw_bytes()
    finally:
        await store.close()  # checkpoints the WAL into the main file
    after_close = raw_bytes()
    for contents in (while_open, after_close):
        assert b"plainview.zendesk.com" in contents  # the search does find stored text
        for secret in SECRETS.values():
            assert secret.encode() not in contents


async def test_keys_rotate_without_losing_a_secret(database_url: str, clock: ManualClock) -> None:
    old_key, new_key = generate_key(), generate_key()
    engine = create_engine(database_url)
    try:
        account_id, agent_id = await _write_every_secret(
            Store(engine, Vault([old_key]), clock), clock
        )

        rotating = Store(engine, Vault([new_key, old_key]), clock)
        assert await _secrets_read_back(rotating, account_id, agent_id) == set(SECRETS.values())
        async with rotating.transaction() as tx:
            assert await reencrypt_secrets(tx.session, Vault([new_key, old_key])) == 4  # rows

        only_new = Store(engine, Vault([new_key]), clock)
        assert await _secrets_read_back(only_new, account_id, agent_id) == set(SECRETS.values())
        with pytest.raises(SecretUndecryptable):
            await _secrets_read_back(Store(engine, Vault([old_key]), clock), account_id, agent_id)
    finally:
        await engine.dispose()


async def test_rotation_with_a_missing_key_changes_nothing(
    database_url: str, clock: ManualClock
) -> None:
    key = generate_key()
    engine = create_engine(database_url)
    try:
        store = Store(engine, Vault([key]), clock)
        account_id, agent_id = await _write_every_secret(store, clock)
        with pytest.raises(SecretUndecryptable):
            async with store.transaction() as tx:
                await reencrypt_secrets(tx.session, Vault([generate_key()]))
        assert await _secrets_read_back(store, account_id, agent_id) == set(SECRETS.values())
        async with store.transaction() as tx:
            count = await tx.session.scalar(text("SELECT count(*) FROM accounts"))
        assert count == 2
    finally:
        await engine.dispose()
