"""Crash safety of the direct calendar backends (run by test_google_crash.py and
test_ms_crash.py on their worlds): an event created at the calendar whose record zdcal
never committed (a ``zdcal sync`` killed between the two, or the create alone) leaves no
duplicate and no error: the next sync finds the same event (Google: the same id, 409;
Graph: the extended property), updates it, and every task is one event."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

from direct_world import DirectWorld
from world import NIA, World, due, zdcal_env

from zdcal.runtime import Runtime

ZDCAL = [sys.executable, "-m", "zdcal.cli"]

Placed = Callable[[], Counter[str]]
"""Every event the calendar holds in Nia's calendar ("ada") that zdcal named, by zdcal's
event id, each as often as the calendar holds it."""


def recorded(world: World) -> int:
    """How many events zdcal has recorded for Nia."""

    async def count(runtime: Runtime) -> int:
        account = await world._account(runtime)
        async with runtime.store.transaction() as tx:
            return len(await tx.entries.for_agent(account.id, NIA))

    return world.run(count)


def a_create_whose_record_was_lost_is_taken_over(world: DirectWorld, placed: Placed) -> None:
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"), "Written before the crash")
    event_id = f"zdcal-{world.account_key()}-{ticket}"
    # The create of a sync that died before its commit: at the calendar, unknown to zdcal.
    world.insert("ada", event_id, "An older version", "2030-03-30")
    report = world.sync()
    assert report.events_failed == 0
    assert placed() == Counter({event_id: 1})
    (event,) = world.events(world.calendar("ada")).values()
    assert (event["summary"], event["start"]) == (f"#{ticket} Written before the crash",
                                                  "2030-04-01")
    assert recorded(world) == 1
    assert world.sync().requests.get(world.backend, 0) == 0, "recorded as written"


def sync_killed_between_the_creates_and_their_commit(
    world: DirectWorld, placed: Placed, tasks: int, latency_ms: int
) -> None:
    """``tasks`` for one agent, in several batches, recorded only once all are answered;
    each batch waits ``latency_ms`` before the calendar processes it, so the first ones are
    created long before the commit."""
    world.connect(NIA, "ada")
    world.zd.post("/_sandbox/tickets/bulk", json={
        "count": tasks, "type": "task", "status": "open", "assignee_ids": [NIA],
        "due_at_start": "2030-06-01T12:00:00Z"}).raise_for_status()
    world.slow(latency_ms)
    world.advance_zendesk(61)
    process = subprocess.Popen([*ZDCAL, "sync"], env=zdcal_env(world),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not placed() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    created = sum(placed().values())
    assert 0 < created < tasks, "killed after the first batch, before the last"
    assert recorded(world) == 0, "killed before the commit"
    world.slow(0)
    report = world.sync(verify=True)
    assert report.events_failed == 0
    assert recorded(world) == tasks
    held = placed()
    assert len(held) == tasks
    assert max(held.values()) == 1
    calendars = [world.calendar("ada")]
    assert world.all_managed(calendars) == world.expected(calendars)
