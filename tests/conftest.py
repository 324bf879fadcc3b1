"""Shared test fixtures. Helpers shared across folders live in zdcal_testing.py."""

from __future__ import annotations

import fcntl
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from caldav_backend.caldav_servers import SERVER_NAMES, CalDAVServer, caldav_server
from zdcal_testing import DATABASE_BACKENDS, PostgresDatabases


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    with path.open("a") as file:
        fcntl.flock(file, mode)  # released when the file closes
        yield


@contextmanager
def _turn(item: pytest.Item) -> Iterator[None]:
    """On pytest-xdist workers, a test marked ``alone`` runs while no other worker runs a
    test (its setup and teardown included): it waits for the tests running elsewhere to
    finish and holds back the next. Two lock files beside the workers' temporary folders:
    every test passes the gate and holds the work lock shared; an ``alone`` test holds
    the gate (so none starts meanwhile) and then the work lock alone."""
    if not hasattr(item.config, "workerinput"):
        yield
        return
    shared = item.config._tmp_path_factory.getbasetemp().parent  # the run's, not the worker's
    gate, work = shared / "zdcal-gate.lock", shared / "zdcal-work.lock"
    if item.get_closest_marker("alone"):
        with _flock(gate, fcntl.LOCK_EX), _flock(work, fcntl.LOCK_EX):
            yield
        return
    with _flock(gate, fcntl.LOCK_EX):
        pass
    with _flock(work, fcntl.LOCK_SH):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    with _turn(item):
        return (yield)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On pytest-xdist workers (``--dist loadfile`` hands out whole files in collection
    order), files holding a ``slow`` test come first, so the longest files do not start
    last and leave the other workers idle at the end."""
    if not hasattr(config, "workerinput"):
        return
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: order kept within


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
