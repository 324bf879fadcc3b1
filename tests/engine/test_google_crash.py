"""Crash safety with Google Calendar agents: an event inserted at Google whose record zdcal
never committed (a ``zdcal sync`` killed between the two, or the insert alone) leaves no
duplicate and no error: the next sync meets the same id (409), updates it, and every task
is one event."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from google_world import GoogleWorld, google_id, open_google_world
from world import NIA, due, zdcal_env

from zdcal.runtime import Runtime

ZDCAL = [sys.executable, "-m", "zdcal.cli"]
TASKS = 200  # four batches of 50 for one agent, recorded only once all are answered


@pytest.fixture
def google_world(tmp_path: Path, empty_database_url: str) -> Iterator[GoogleWorld]:
    """On SQLite and on PostgreSQL: what a lost commit leaves is the database's part."""
    with open_google_world(tmp_path, empty_database_url) as world:
        yield world


def recorded(world: GoogleWorld) -> int:
    """How many events zdcal has recorded for Nia."""

    async def count(runtime: Runtime) -> int:
        account = await world._account(runtime)
        async with runtime.store.transaction() as tx:
            return len(await tx.entries.for_agent(account.id, NIA))

    return world.run(count)


def placed(world: GoogleWorld) -> Counter[str]:
    """Every event Google holds in Nia's calendar, cancelled ones too, by Google id."""
    return Counter(item["id"] for item in world.raw_events(world.calendar("ada")))


def test_an_insert_whose_record_was_lost_is_taken_over(google_world: GoogleWorld) -> None:
    world = google_world
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"), "Written before the crash")
    event_id = f"zdcal-{world.account_key()}-{ticket}"
    # The insert of a sync that died before its commit: at Google, unknown to zdcal.
    world.insert("ada", event_id, "An older version", "2030-03-30")
    report = world.sync()
    assert report.events_failed == 0
    assert placed(world) == Counter({google_id(event_id): 1})
    (event,) = world.events(world.calendar("ada")).values()
    assert (event["summary"], event["start"]) == (f"#{ticket} Written before the crash",
                                                  "2030-04-01")
    assert recorded(world) == 1
    assert world.sync().requests.get("google", 0) == 0, "recorded as written"


def test_sync_killed_between_the_inserts_and_their_commit(
    google_world: GoogleWorld, tmp_path: Path
) -> None:
    world = google_world
    world.connect(NIA, "ada")
    world.zd.post("/_sandbox/tickets/bulk", json={
        "count": TASKS, "type": "task", "status": "open", "assignee_ids": [NIA],
        "due_at_start": "2030-06-01T12:00:00Z"}).raise_for_status()
    # Each batch waits before Google processes it: the first batch is inserted long
    # before the agent's outcomes are recorded (after the fourth).
    world.google.put("/_sandbox/faults", json={"latency_ms": 400}).raise_for_status()
    world.advance_zendesk(61)
    process = subprocess.Popen([*ZDCAL, "sync"], env=zdcal_env(world),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not placed(world) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    inserted = sum(placed(world).values())
    assert 0 < inserted < TASKS, "killed after the first batch, before the last"
    assert recorded(world) == 0, "killed before the commit"
    world.google.put("/_sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    report = world.sync(verify=True)
    assert report.events_failed == 0
    assert recorded(world) == TASKS
    held = placed(world)
    assert len(held) == TASKS
    assert max(held.values()) == 1
    calendars = [world.calendar("ada")]
    assert world.all_managed(calendars) == world.expected(calendars)
