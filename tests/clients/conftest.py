"""Simulators served over real HTTP on loopback, one fresh account per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from zdcal.sandbox.server import ServerThread


class Sim:
    """A running simulator: its base URL and a synchronous handle on its control API."""

    def __init__(self, server: ServerThread) -> None:
        self.server = server
        self.base_url = server.base_url
        self.control = httpx.Client(base_url=f"{server.base_url}/_sandbox", timeout=10)

    def faults(self, **knobs: Any) -> None:
        self.control.put("/faults", json=knobs).raise_for_status()

    def get(self, path: str) -> Any:
        response = self.control.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.control.post(path, json=body if body is not None else {})
        response.raise_for_status()
        return response.json() if response.content else None


@pytest.fixture
def zendesk_sim() -> Iterator[Sim]:
    """A fresh simulated Zendesk account with the documented default seed."""
    module = pytest.importorskip("zdcal.sandbox.zendesk")
    with ServerThread(module.create_app(module.ZendeskSimConfig())) as server:
        sim = Sim(server)
        yield sim
        sim.control.close()


@pytest.fixture
def cronofy_sim_config() -> dict[str, Any]:
    """Overrides for CronofySimConfig; a test may parametrize or edit it."""
    return {}


@pytest.fixture
def cronofy_sim(cronofy_sim_config: dict[str, Any]) -> Iterator[Sim]:
    """A fresh simulated Cronofy with the documented default seed (Ada and Bob)."""
    module = pytest.importorskip("zdcal.sandbox.cronofy")
    with ServerThread(module.create_app(module.CronofySimConfig(**cronofy_sim_config))) as server:
        sim = Sim(server)
        yield sim
        sim.control.close()
