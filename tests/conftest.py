"""Shared test fixtures. Helpers shared across folders live in zdcal_testing.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caldav_backend.caldav_servers import SERVER_NAMES, CalDAVServer, caldav_server
from zdcal_testing import DATABASE_BACKENDS, PostgresDatabases


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_databases() -> PostgresDatabases:
    """Skips (or, in CI, fails) the PostgreSQL variants when no server is reachable."""
    return PostgresDatabases()


@pytest.fixture(params=DATABASE_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that has never been migrated: a temporary SQLite file, and a
    PostgreSQL database created for this test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create()
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture(scope="session", params=SERVER_NAMES)
def caldav_server_running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CalDAVServer]:
    """Radicale and Xandikos, each started once per session (on first use)."""
    root: Path = tmp_path_factory.mktemp(request.param)
    with caldav_server(request.param, root) as server:
        yield server


# Re-exported for folders that load this file by path.
from zdcal_testing import require_service, service_reachable  # noqa: E402

__all__ = ["anyio_backend", "require_service", "service_reachable"]
