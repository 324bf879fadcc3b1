"""Crash safety with Microsoft 365 agents (crash_cases.py): an event created at Graph whose
record (with Graph's id) zdcal never committed is found by its extended property on the
next sync and updated, never created a second time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_cases import (
    a_create_whose_record_was_lost_is_taken_over,
    sync_killed_between_the_creates_and_their_commit,
)
from microsoft_world import MicrosoftWorld, open_microsoft_world

from microsoft_backend.ms_backend_support import marker


@pytest.fixture
def microsoft_world(tmp_path: Path, empty_database_url: str) -> Iterator[MicrosoftWorld]:
    """On SQLite and on PostgreSQL: what a lost commit leaves is the database's part."""
    with open_microsoft_world(tmp_path, empty_database_url) as world:
        yield world


def placed(world: MicrosoftWorld) -> Counter[str]:
    """Every event Nia's calendar holds that zdcal marked, by zdcal's event id."""
    return Counter(str(marker(item)) for item in world.raw_events(world.calendar("ada"))
                   if marker(item) is not None)



def test_a_create_whose_record_was_lost_is_found_by_its_property(
    microsoft_world: MicrosoftWorld,
) -> None:
    a_create_whose_record_was_lost_is_taken_over(
        microsoft_world, lambda: placed(microsoft_world))


def test_sync_killed_between_the_creates_and_their_commit(
    microsoft_world: MicrosoftWorld,
) -> None:
    # Five batches of 20 (each a find, then the creates) for one agent.
    sync_killed_between_the_creates_and_their_commit(
        microsoft_world, lambda: placed(microsoft_world),
        tasks=100, latency_ms=150)
