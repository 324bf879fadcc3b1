"""Microsoft simulator tests: the app on real loopback HTTP, driven by plain HTTP (httpx) for
protocol details and by the O365 package (with MSAL inside) as an independent Graph client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from ms_sim_support import Graph, mint

from zdcal.sandbox.microsoft import create_app
from zdcal.sandbox.server import ServerThread


@pytest.fixture(scope="module")
def ms_server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def http(ms_server: ServerThread) -> Iterator[httpx.Client]:
    """A plain client on the simulator, after a reset (users and calendars only)."""
    with httpx.Client(base_url=ms_server.base_url, timeout=10) as client:
        assert client.post("/_sandbox/reset").status_code == 200  # knobs as configured too
        yield client


@pytest.fixture
def graph(http: httpx.Client) -> Iterator[Graph]:
    """The agent's Graph client (tokens minted by the control API); its answers must all have
    the documented shapes."""
    client = Graph(http, mint(http))
    yield client
    assert client.calls, "the test made no Graph call"
    assert client.problems == []
