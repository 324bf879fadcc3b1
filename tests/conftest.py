"""Shared test fixtures: real HTTP servers on loopback, databases, service detection."""

from __future__ import annotations

import os
import socket

import pytest


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


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio only."""
    return "asyncio"
