"""``zdcal serve`` killed with SIGKILL at random moments while tickets change in Zendesk
(whose triggers call zdcal's webhook): each restarted process resumes at once instead of
waiting out the dead process's lease, every change reaches the calendar within seconds of
the restart, and at the end nothing is lost or duplicated."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import bootstrap, eventually, serve_process
from world import KENJI, NIA, World, calendar, due, open_world

from zdcal.jobs.queued import RECOVERY_SECONDS, STALLED_AFTER_SECONDS
from zdcal_testing import free_port

CALENDARS = [calendar("ada"), calendar("bob")]
# Each round moves Zendesk's clock on by a minute (below); its webhook signatures must stay
# within zdcal's five-minute window of zdcal's own clock, so four rounds at most.
ROUNDS = min(4, int(os.environ.get("ZDCAL_KILL_ROUNDS", "4")))
RESUME_SECONDS = 10.0
"""On SQLite; on PostgreSQL the killed process's running job also holds its account's job
lock until the job engine takes the process for dead (docs/scale.md, stalled jobs)."""
ENGINE_RECOVERY_SECONDS = STALLED_AFTER_SECONDS + RECOVERY_SECONDS


@pytest.fixture
def world(tmp_path: Path, empty_database_url: str) -> Iterator[World]:
    with open_world(tmp_path, empty_database_url) as world:
        yield world


class TicketChurn:
    """Creates, moves, reassigns and solves tasks from a thread until stopped."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.tickets: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join()

    def change_one(self) -> None:
        day = f"2030-09-{self.rng.randint(1, 28):02d}"
        agent = self.rng.choice([NIA, KENJI])
        move = self.rng.random()
        if not self.tickets or move < 0.4:
            self.tickets.append(self.world.create_task(agent, due(day)))
        elif move < 0.9:
            self.world.update(self.rng.choice(self.tickets), due_at=due(day), assignee_id=agent)
        else:
            self.world.update(self.rng.choice(self.tickets), status="solved")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.change_one()
            self._stop.wait(self.rng.uniform(0.05, 0.3))


def _deliveries_settled(world: World) -> bool:
    log = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    return all(d["final_status"] != "pending" for d in log)


@pytest.mark.slow
@pytest.mark.alone  # each resume is timed: no other worker's load
def test_serve_killed_at_random_moments_resumes_within_seconds(
    world: World, tmp_path: Path
) -> None:
    rng = random.Random(20261129)
    resume_seconds = RESUME_SECONDS + (
        ENGINE_RECOVERY_SECONDS if world.settings.database_url.startswith("postgresql") else 0)
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    world.sync()
    port, log = free_port(), tmp_path / "serve.log"
    process = serve_process(world, port, log)
    churn = TicketChurn(world, rng)
    resumed_in = []
    try:
        bootstrap(world, f"http://127.0.0.1:{port}")
        world.cronofy_faults(latency_ms=100)  # slow writes: the kills land mid-work
        for _ in range(ROUNDS):
            churn.start()
            time.sleep(rng.uniform(1.0, 4.0))
            process.kill()  # SIGKILL: no lease released, nothing flushed
            process.wait()
            churn.stop()
            churn.change_one()  # and one change while no zdcal runs at all
            eventually(lambda: _deliveries_settled(world))
            # Webhooks that found zdcal down are lost for good; the sweep of the restarted
            # process finds those changes once Zendesk's export shows them (a minute on).
            world.advance_zendesk(61)
            process = serve_process(world, port, log)
            restarted = time.monotonic()
            eventually(lambda: world.all_managed(CALENDARS) == world.expected(CALENDARS),
                       timeout=resume_seconds, every=0.25)
            resumed_in.append(round(time.monotonic() - restarted, 1))
    finally:
        churn.stop()
        process.kill()
        process.wait()
    assert len(churn.tickets) > ROUNDS
    assert world.all_managed(CALENDARS) == world.expected(CALENDARS)
    placed = Counter(eid for cal in CALENDARS for eid in world.events(cal))
    assert placed
    assert max(placed.values()) == 1
    text = log.read_text()
    assert "Traceback" not in text, text
    print(f"caught up {resumed_in} s after each restart;",
          text.count("took over the lease"), "leases taken over from a killed process")
