"""A real, migrated SQLite store for the use-case tests, and what they connect with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from zdcal.settings import Settings
from zdcal.store import Store, Vault, create_engine, generate_key, upgrade
from zdcal_testing import ManualClock


async def open_store(directory: Path) -> AsyncIterator[Store]:
    """A store on a freshly migrated SQLite file in ``directory``."""
    url = f"sqlite+aiosqlite:///{directory / 'zdcal.db'}"
    await upgrade(url)
    store = Store(create_engine(url), Vault([generate_key()]),
                  ManualClock(datetime(2030, 5, 1, 9, 0, tzinfo=UTC)))
    try:
        yield store
    finally:
        await store.close()


def settings(**values: object) -> Settings:
    """Settings from the defaults and ``values`` only (no environment file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]
