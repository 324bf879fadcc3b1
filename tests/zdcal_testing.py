"""Helpers shared by test folders (importable as ``zdcal_testing``: tests/ is on sys.path)."""

from __future__ import annotations

import ast
import asyncio
import os
import socket
import subprocess
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from zdcal.domain import Delete, DesiredEntry, RecordedEntry, Upsert
from zdcal.domain.entries import content_hash
from zdcal.store import Agent, CalendarTokens
from zdcal.store.engine import database_url
from zdcal.store.tables import AgentStatus


class ManualClock:
    """A clock (``zdcal.clock.Clock``) that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> float:
        return self._now.timestamp()

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self._now = moment


POSTGRES_URL = os.environ.get(
    "ZDCAL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def stop_process(process: subprocess.Popen[str]) -> None:
    """Ask a process a test started to stop (SIGTERM), and kill it if it will not."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    """A loopback port free now (bound, then released) for a process a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(url: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    """Poll ``url``/readyz until zdcal answers 200; fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"the process serving {url} exited"
        assert time.monotonic() < deadline, f"{url} never became ready"
        time.sleep(0.1)


def service_reachable(host: str, port: int) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (on a developer machine) or fail (in CI) when a needed service is absent."""
    if service_reachable(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("ZDCAL_TEST_REQUIRE_SERVICES"):
        pytest.fail(reason + " (CI requires it)")
    pytest.skip(reason)


def imported_names(path: Path) -> set[str]:
    """Every absolute name a module imports, anywhere in it (functions too): ``import a.b``
    gives ``a.b``, ``from a.b import c`` gives ``a.b.c``. Relative imports stay inside
    their package and are left out."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def within(name: str, package: str) -> bool:
    """``name`` is ``package`` or lies inside it."""
    return name == package or name.startswith(package + ".")


DATABASE_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
"""Every test that takes a database runs once on each (see ``empty_database_url``)."""


class PostgresDatabases:
    """Creates and drops uniquely named databases beside the one POSTGRES_URL names."""

    def __init__(self, url: str = POSTGRES_URL, prefix: str = "zdcal_test") -> None:
        self.url = make_url(url)
        self.prefix = prefix
        require_service("PostgreSQL", self.url.host or "127.0.0.1", self.url.port or 5432)

    def create(self) -> str:
        # Unique across pytest-xdist workers and runs; the worker's id tells whose it is.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"{self.prefix}_{worker}_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        async def run() -> None:
            engine = create_async_engine(  # CI's asyncpg URL, on zdcal's one driver
                database_url(self.url), isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
            try:
                async with engine.connect() as connection:
                    await connection.execute(text(statement))
            finally:
                await engine.dispose()

        asyncio.run(run())


# A calendar backend's inputs, as sync gives them (the Google and Microsoft backend tests).

TASK_ACCOUNT_KEY = "k7q2mx4pn5r3ws6t"
TASK_AGENT_ID = 1002


def task_event_id(ticket_id: int) -> str:
    """zdcal's event id of a ticket of the test account."""
    return f"zdcal-{TASK_ACCOUNT_KEY}-{ticket_id}"


def task_body(ticket_id: int, start: str = "2026-03-08", end: str = "2026-03-09",
              **extra: Any) -> dict[str, Any]:
    """The domain's event body (zdcal.domain.event_body's shape)."""
    link = f"https://acme.zendesk.com/agent/tickets/{ticket_id}"
    return {
        "event_id": task_event_id(ticket_id), "summary": f"#{ticket_id} Call the customer",
        "description": f"{link}\n\nThey asked for a call back.", "start": start, "end": end,
        "tzid": "Europe/Berlin", "url": link, "transparency": "transparent",
        "event_private": False, **extra,
    }


def task_upsert(ticket_id: int, calendar_id: str, **kwargs: Any) -> Upsert:
    event = task_body(ticket_id, **kwargs)
    return Upsert(DesiredEntry(ticket_id, TASK_AGENT_ID, calendar_id, event["event_id"], event,
                               content_hash(calendar_id, event)))


def task_delete(ticket_id: int, calendar_id: str) -> Delete:
    return Delete(RecordedEntry(ticket_id, TASK_AGENT_ID, calendar_id,
                                task_event_id(ticket_id), ""))


def oauth_agent(tokens: CalendarTokens, backend: str, email: str, **changes: Any) -> Agent:
    """An active agent of the test account linked to ``backend`` with ``tokens``."""
    now = datetime.now(UTC)
    base = Agent(
        id=7, account_id=1, zendesk_user_id=TASK_AGENT_ID, name="Agent", email=email,
        time_zone="Europe/Berlin", time_zone_override=None, calendar_account_id=email,
        data_center=None, tokens=tokens, calendar_id=None, calendar_name=None,
        style={}, status=AgentStatus.ACTIVE, status_reason=None, status_since=now,
        last_synced_at=None, created_at=now, updated_at=now, calendar_backend=backend,
    )
    return replace(base, **changes)
