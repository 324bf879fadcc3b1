"""The Google simulator on loopback (one per module, reset for each test) and the
backend built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from google_backend.google_backend_support import link_agent, make_backend
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.sandbox.google import create_app
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent


@pytest.fixture(scope="module")
def google_server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
async def sim(google_server: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the simulator, after a reset (users and calendars only)."""
    async with httpx.AsyncClient(base_url=google_server.base_url, timeout=10) as client:
        assert (await client.post("/_sandbox/reset")).status_code == 200
        yield client


@pytest.fixture
async def backend(google_server: ServerThread) -> AsyncIterator[GoogleBackend]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield make_backend(google_server.base_url, http)


@pytest.fixture
async def linked(backend: GoogleBackend, sim: httpx.AsyncClient) -> Agent:
    return await link_agent(backend, sim)
