"""Fixtures for engine scenarios: a fresh sandbox and database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import World, open_world

from zdcal_testing import PostgresDatabases


@pytest.fixture(scope="session")
def postgres() -> PostgresDatabases:
    return PostgresDatabases(prefix="zdcal_engine")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    url = databases.create()
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    with open_world(tmp_path, database_url) as world:
        yield world
