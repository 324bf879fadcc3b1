"""Shared pieces of the domain tests: fixture payloads and a standard account."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zdcal.domain import AccountInfo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

FixtureLoader = Callable[[str, str], Any]


@pytest.fixture
def load_fixture() -> FixtureLoader:
    """Load a real-shaped JSON payload from ``tests/fixtures/<api>/<name>.json``."""

    def load(api: str, name: str) -> Any:
        return json.loads((FIXTURES / api / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture
def account() -> AccountInfo:
    """The Zendesk account ``acme`` with a fixed account key (the one in the fixtures)."""
    return AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
