"""Radicale and Xandikos, started once per session each; a fresh calendar per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from caldav_backend.caldav_servers import SERVER_NAMES, CalDAVServer, caldav_server, make_calendar
from zdcal.calendars.caldav.client import CalDAVClient
from zdcal.http import RetryPolicy

QUICK = RetryPolicy(max_attempts=2, base_delay=0.0, max_total_wait=0.0)
"""Tests want the first failure, not minutes of backoff."""


@pytest.fixture(scope="session", params=SERVER_NAMES)
def caldav_server_running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CalDAVServer]:
    root: Path = tmp_path_factory.mktemp(request.param)
    with caldav_server(request.param, root) as server:
        yield server


@pytest.fixture
def server(caldav_server_running: CalDAVServer) -> CalDAVServer:
    return caldav_server_running


@pytest.fixture
def calendar_url(server: CalDAVServer) -> str:
    """A new, empty calendar in the user's calendar home, for this test alone."""
    url = f"{server.calendar_home_url}t{uuid.uuid4().hex[:10]}/"
    with server.http() as http:
        make_calendar(http, url, "Test tasks")
    return url


def client_for(server: CalDAVServer, *, password: str | None = None) -> CalDAVClient:
    return CalDAVClient(
        server.url,
        server.username,
        server.password if password is None else password,
        verify=server.verify,
        policy=QUICK,
    )
