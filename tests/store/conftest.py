"""Databases for the store tests: every test runs on SQLite (a temporary file) and on
PostgreSQL (a database created for this test session and dropped after it)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from zdcal.store import (
    Store,
    Vault,
    ZendeskApiToken,
    create_engine,
    generate_key,
    upgrade_sync,
)
from zdcal_testing import DATABASE_BACKENDS, ManualClock, PostgresDatabases

__all__ = ["ManualClock"]  # the store tests import it from here


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "zdcal.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """One migrated PostgreSQL database for the session, dropped at the end."""
    url = postgres_databases.create()
    try:
        upgrade_sync(url)
        yield url
    finally:
        postgres_databases.drop(url)


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated database holding no rows."""
    if request.param == "sqlite":
        path = tmp_path / "zdcal.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("migrated_postgres_url")

    async def empty() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM accounts"))  # cascades everywhere
        finally:
            await engine.dispose()

    asyncio.run(empty())
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 8, 9, 30, tzinfo=UTC))


@pytest.fixture
def vault() -> Vault:
    return Vault([generate_key()])


@pytest.fixture
async def store(database_url: str, vault: Vault, clock: ManualClock) -> AsyncIterator[Store]:
    store = Store(create_engine(database_url), vault, clock)
    try:
        yield store
    finally:
        await store.close()


async def add_account(store: Store, subdomain: str = "acme") -> int:
    """Connect an account with an API token; returns its id."""
    async with store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain=subdomain,
            base_url=f"https://{subdomain}.zendesk.com",
            admin_email=f"admin@{subdomain}.example",
            credentials=ZendeskApiToken(email=f"admin@{subdomain}.example", token="api-token"),
        )
        return account.id


async def add_agent(store: Store, account_id: int, zendesk_user_id: int, name: str = "Ann") -> int:
    """Add an agent profile (not yet connected); returns its row id."""
    async with store.transaction() as tx:
        agent = await tx.agents.upsert_profile(
            account_id,
            zendesk_user_id,
            name=name,
            email=f"{name.lower()}@acme.example",
            time_zone="Europe/Berlin",
        )
        return agent.id
