"""Crash safety with Google Calendar agents (crash_cases.py): an event inserted at Google
whose record zdcal never committed is met again by its id (409) and updated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from crash_cases import (
    a_create_whose_record_was_lost_is_taken_over,
    sync_killed_between_the_creates_and_their_commit,
)
from google_world import GoogleWorld, open_google_world, zdcal_id


@pytest.fixture
def google_world(tmp_path: Path, empty_database_url: str) -> Iterator[GoogleWorld]:
    """On SQLite and on PostgreSQL: what a lost commit leaves is the database's part."""
    with open_google_world(tmp_path, empty_database_url) as world:
        yield world


def placed(world: GoogleWorld) -> Counter[str]:
    """Every event Google holds in Nia's calendar, cancelled ones too (an id stays
    taken), by zdcal's event id."""
    return Counter(str(zdcal_id(item["id"])) for item in world.raw_events(world.calendar("ada")))



def test_an_insert_whose_record_was_lost_is_taken_over(google_world: GoogleWorld) -> None:
    a_create_whose_record_was_lost_is_taken_over(google_world, lambda: placed(google_world))


def test_sync_killed_between_the_inserts_and_their_commit(google_world: GoogleWorld) -> None:
    # Four batches of 50 for one agent.
    sync_killed_between_the_creates_and_their_commit(
        google_world, lambda: placed(google_world),
        tasks=200, latency_ms=400)
