"""Shared test fixtures. Helpers shared across folders live in zdcal_testing.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio only."""
    return "asyncio"


# Re-exported for folders that load this file by path.
from zdcal_testing import require_service, service_reachable  # noqa: E402

__all__ = ["anyio_backend", "require_service", "service_reachable"]
