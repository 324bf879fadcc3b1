"""The Microsoft simulator on loopback (one per module, reset for each test) and the
backend built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from microsoft_backend.ms_backend_support import link_agent, make_backend
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.sandbox.microsoft import create_app
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent


@pytest.fixture(scope="module")
def microsoft_server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
async def sim(microsoft_server: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the simulator, after a reset (users and calendars only)."""
    async with httpx.AsyncClient(base_url=microsoft_server.base_url, timeout=10) as client:
        assert (await client.post("/_sandbox/reset")).status_code == 200
        yield client


@pytest.fixture
async def backend(microsoft_server: ServerThread) -> AsyncIterator[MicrosoftBackend]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield make_backend(microsoft_server.base_url, http)


@pytest.fixture
async def linked(backend: MicrosoftBackend, sim: httpx.AsyncClient) -> Agent:
    return await link_agent(backend, sim)
