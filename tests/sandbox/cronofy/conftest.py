"""Cronofy simulator tests: the app served on real loopback HTTP, a push receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cronofy_sim_support import NO_FAULTS, Received, Receiver, Sim, load_fixture
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.cronofy import CronofySimConfig, create_app
from zdcal.sandbox.server import ServerThread


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    async def record(request: Request) -> Response:
        body = await request.body()
        with holder[0].lock:
            holder[0].received.append(Received(dict(request.headers), body))
        return Response(status_code=200)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with ServerThread(app) as server:
        holder.append(Receiver(server.base_url))
        yield holder[0]


@pytest.fixture
def fresh_receiver(receiver: Receiver) -> Receiver:
    with receiver.lock:
        receiver.received.clear()
    return receiver


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ServerThread]:
    with ServerThread(create_app(CronofySimConfig(page_size=3))) as server:
        yield server


@pytest.fixture
def sim(shared_server: ServerThread) -> Iterator[Sim]:
    """The shared simulator, emptied of the default seed and faults for this test."""
    with httpx.Client(base_url=shared_server.base_url, timeout=10) as http:
        sim = Sim(shared_server.base_url, http)
        sim.control("PUT", "/faults", json=NO_FAULTS)
        assert sim.control("POST", "/clock", json={"offset_seconds": 0}).status_code == 200
        assert sim.control("POST", "/reset", json={"empty": True}).status_code == 200
        yield sim


@pytest.fixture
def grace(sim: Sim) -> dict[str, Any]:
    """The seed__scenario accounts loaded; returns Grace's account (with ready tokens)."""
    return sim.seed(load_fixture("seed__scenario"))[0]
