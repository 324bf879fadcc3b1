"""Fixtures for engine scenarios: a fresh sandbox and database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import World, open_world


@pytest.fixture
def world(tmp_path: Path, empty_database_url: str) -> Iterator[World]:
    with open_world(tmp_path, empty_database_url) as world:
        yield world
