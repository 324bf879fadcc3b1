"""Helpers for the Cronofy simulator tests: fixtures files, a receiver, a client."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cronofy"
CLIENT_ID = "zdcal-sandbox"
CLIENT_SECRET = "zdcal-sandbox-secret"


def load_fixture(name: str) -> Any:
    """A JSON payload from tests/fixtures/cronofy/."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP endpoint that records every POST it gets (a push-notification target)."""

    base_url: str
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")


@dataclass
class Sim:
    """A running simulator and an HTTP client for it."""

    base_url: str
    http: httpx.Client

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/_sandbox{path}", **kwargs)

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "/accounts").json()["accounts"])

    def seed(self, seed: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.control("POST", "/seed", json=seed)
        assert response.status_code == 200, response.text
        return list(response.json()["accounts"])

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)


NO_FAULTS = {
    "error_rate": 0,
    "latency_ms": 0,
    "burst_429": 0,
    "webhook_drop_rate": 0,
    "webhook_duplicate_rate": 0,
    "webhook_delay_ms": 0,
    "clock_offset_seconds": 0,
    "seed": 1,
}
