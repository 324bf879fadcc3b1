"""Fixtures for engine scenarios: a fresh sandbox and database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from caldav_world import CalDAVWorld, open_caldav_world
from google_world import GoogleWorld, open_google_world
from microsoft_world import MicrosoftWorld, open_microsoft_world
from world import World, open_world

from caldav_backend.caldav_servers import CalDAVServer


@pytest.fixture
def world(tmp_path: Path, empty_database_url: str) -> Iterator[World]:
    with open_world(tmp_path, empty_database_url) as world:
        yield world


@pytest.fixture
def caldav_world(tmp_path: Path, caldav_server_running: CalDAVServer) -> Iterator[CalDAVWorld]:
    """A world whose agents connect with CalDAV, on each real server (on SQLite: the
    store's dialects are covered by the Cronofy worlds and the store tests)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
    with open_caldav_world(tmp_path, url, caldav_server_running) as world:
        yield world


@pytest.fixture
def google_world(tmp_path: Path) -> Iterator[GoogleWorld]:
    """A world whose agents connect with Google Calendar (the simulator), on SQLite like
    the CalDAV worlds."""
    with open_google_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}") as world:
        yield world


@pytest.fixture
def microsoft_world(tmp_path: Path) -> Iterator[MicrosoftWorld]:
    """A world whose agents connect with Microsoft 365 (the simulator), on SQLite like the
    Google worlds."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
    with open_microsoft_world(tmp_path, url) as world:
        yield world
