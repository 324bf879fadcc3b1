"""Crash safety: ``zdcal sync`` killed at random points, many times, then run again:
the calendars equal the desired state and hold no duplicates."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from world import KENJI, NIA, calendar, open_world, zdcal_env

CALENDARS = [calendar("ada"), calendar("bob")]
TRIALS = int(os.environ.get("ZDCAL_CRASH_TRIALS", "12"))


ZDCAL = [sys.executable, "-m", "zdcal.cli"]


@pytest.mark.slow
def test_sync_killed_at_random_points_converges(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    with open_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}") as world:
        world.connect(NIA, "ada")
        world.connect(KENJI, "bob")
        world.zd.post("/_sandbox/tickets/bulk", json={
            "count": 400, "type": "task", "status": "open", "assignee_ids": [NIA, KENJI],
            "due_at_start": "2030-06-01T12:00:00Z"}).raise_for_status()
        tickets = [t["id"] for t in world.zd.get("/_sandbox/state").json()["tickets"]]
        # Slow calendar writes make a sync long enough to be cut at any point of it.
        world.cronofy_faults(latency_ms=40)
        env = zdcal_env(world)
        world.advance_zendesk(61)
        started = time.monotonic()
        subprocess.run([*ZDCAL, "sync"], env=env, check=True, capture_output=True, timeout=300)
        full_run = time.monotonic() - started
        killed_mid_run = 0
        for _ in range(TRIALS):
            for ticket in rng.sample(tickets, 120):
                day = rng.randint(1, 28)
                world.update(ticket, due_at=f"2030-07-{day:02d}T12:00:00Z",
                             assignee_id=rng.choice([NIA, KENJI]))
            world.advance_zendesk(61)
            process = subprocess.Popen([*ZDCAL, "sync"], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, full_run))
            if process.poll() is None:
                killed_mid_run += 1
            process.kill()
            process.wait()
        assert killed_mid_run >= TRIALS // 3, "the kills should land mid-run"
        world.cronofy_faults(latency_ms=0)
        world.advance_zendesk(61)
        done = subprocess.run([*ZDCAL, "sync", "--verify"], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert world.all_managed(CALENDARS) == world.expected(CALENDARS)
        placed = Counter(eid for cal in CALENDARS for eid in world.events(cal))
        assert placed
        assert max(placed.values()) == 1
