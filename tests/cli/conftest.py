"""Fixtures for CLI tests: both simulators, a temp SQLite database and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_harness import CliHarness, open_harness

from zdcal.sandbox.runner import Sandbox


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ZDCAL_* variable and no .env from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("ZDCAL_") and name != "ZDCAL_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def cli(clean_environment: Path, tmp_path: Path) -> Iterator[CliHarness]:
    """The CLI against a fresh sandbox (default seeds) and a fresh database."""
    with Sandbox.create() as sandbox:
        yield from open_harness(sandbox, tmp_path / "data")
