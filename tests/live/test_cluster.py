"""The cluster on PostgreSQL (issue 16, docs/scale.md): one web-tier process
(``zdcal serve --no-workers``) and three ``zdcal worker`` processes, 20 Zendesk accounts
with two agents each connected to the Cronofy simulator, and random histories of task
tickets (delivered as signed webhooks to the web tier) and calendar moves.

One cluster serves every scenario, in order: random histories converge; workers killed
with SIGKILL 20 times lose and duplicate nothing; a rolling restart converges; and with
the simulators' real limits on, no simulator ever answered 429. Each scenario's seed is
printed (shown on failure); ``ZDCAL_CLUSTER_SEED`` replays another."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator

import pytest
from cluster_support import (
    CONNECTED,
    Churn,
    Cluster,
    Simulators,
    converge,
    duplicates,
    install,
    settings_for,
)

from zdcal_testing import PostgresDatabases, free_port

pytestmark = pytest.mark.postgres

ACCOUNTS = int(os.environ.get("ZDCAL_CLUSTER_ACCOUNTS", "20"))
WORKERS = 3
KILLS = int(os.environ.get("ZDCAL_CLUSTER_KILLS", "20"))
SEED = int(os.environ.get("ZDCAL_CLUSTER_SEED", "20261130"))
SWEEP_SECONDS = 10
"""Deleting or restoring a ticket fires no trigger in Zendesk: only a sweep (the
incremental export) sees it, so the cluster sweeps often."""
EXPORT_WINDOW_SECONDS = 61
"""How far each Zendesk's clock is moved on before converging, so that its incremental
export shows every change made before (webhook signatures stay within zdcal's five
minutes for four such moves)."""


class Stack:
    """The simulators and the cluster the scenarios share."""

    def __init__(self, sims: Simulators, cluster: Cluster, before: dict[str, int]) -> None:
        self.sims = sims
        self.cluster = cluster
        self.url = cluster.settings.database_url
        self.refused_before = before
        """429s answered before the cluster started (to the test's own set-up)."""

    def advance_zendesk(self) -> None:
        for tenant in self.sims.tenants:
            tenant.zd.post("/_sandbox/clock",
                           json={"advance_seconds": EXPORT_WINDOW_SECONDS}).raise_for_status()

    def settle(self, churn: Churn, timeout: float = 120.0) -> float:
        """Move the exports' window on and wait for convergence; the seconds it took.
        Then: no ticket ever had a second event, and no job failed."""
        self.advance_zendesk()
        took = converge(self.sims, self.cluster, churn, timeout)
        assert duplicates(self.sims) == []
        jobs = self.cluster.jobs()
        assert jobs.get("failed", 0) == 0, jobs
        return took


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> Iterator[Stack]:
    url = postgres_databases.create()
    root = tmp_path_factory.mktemp("cluster")
    sims = Simulators(ACCOUNTS)
    cluster: Cluster | None = None
    try:
        with sims.running():
            port = free_port()
            settings = settings_for(url, root, sims, f"http://127.0.0.1:{port}")
            settings.sweep_interval_seconds = SWEEP_SECONDS
            started = time.monotonic()
            install(settings, sims.tenants)
            before = sims.refusals()
            print(f"{ACCOUNTS} accounts installed in {time.monotonic() - started:.1f} s;"
                  f" 429s to the set-up: { {k: n for k, n in before.items() if n} }")
            cluster = Cluster(settings, port, root)
            cluster.env["ZDCAL_SWEEP_INTERVAL_SECONDS"] = str(SWEEP_SECONDS)
            cluster.start_web(wait=False)
            workers = [cluster.start_worker(wait=False) for _ in range(WORKERS)]
            cluster.wait_web()
            for process in workers:
                cluster.wait_worker(process)
            print(f"cluster up {time.monotonic() - started:.1f} s after the start")
            yield Stack(sims, cluster, before)
    finally:
        if cluster is not None:
            cluster.stop_all()
        postgres_databases.drop(url)


def seeded(offset: int) -> int:
    seed = SEED + offset
    print(f"seed {seed} (ZDCAL_CLUSTER_SEED={SEED})")
    return seed


def test_random_histories_across_20_accounts_converge(stack: Stack) -> None:
    churn = Churn(stack.sims, stack.url, seeded(1))
    with churn.flowing(per_second=10):
        while len(churn.done) < 100:
            time.sleep(0.1)
    took = stack.settle(churn)
    kinds = {kind: churn.done.count(kind) for kind in sorted(set(churn.done))}
    print(f"{len(churn.done)} changes {kinds}; converged {took:.1f} s after the last")
    assert {"create", "re-date", "reassign", "retype", "solve", "delete", "move"} <= set(kinds)
    assert any(t.moved_to for t in churn.tickets)


def test_workers_killed_20_times_lose_and_duplicate_nothing(stack: Stack) -> None:
    rng = random.Random(seeded(2))
    churn = Churn(stack.sims, stack.url, rng.randrange(2**32))
    cluster = stack.cluster
    stack.sims.cr.put("/_sandbox/faults", json={"latency_ms": 40}).raise_for_status()
    try:
        with churn.flowing(per_second=4):
            for _ in range(KILLS):
                # At random moments, a worker that took jobs; its replacement starts
                # while the others work on.
                victim = rng.choice(cluster.ready_workers(at_least=WORKERS - 1))
                time.sleep(rng.uniform(0.2, 1.5))
                cluster.kill_worker(victim)
                cluster.start_worker(wait=False)
            cluster.ready_workers(at_least=WORKERS)
    finally:
        stack.sims.cr.put("/_sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    took = stack.settle(churn)
    moves = sum(1 for t in churn.tickets if t.moved_to)
    print(f"{len(churn.done)} changes ({moves} moves) during {KILLS} kills;"
          f" converged {took:.1f} s after")
    assert len(cluster.workers) == WORKERS


def test_a_rolling_restart_of_every_worker_converges(stack: Stack) -> None:
    churn = Churn(stack.sims, stack.url, seeded(3))
    cluster = stack.cluster
    with churn.flowing(per_second=4):
        for process, _ in list(cluster.workers):
            assert cluster.stop_worker(process) == 0, "a graceful stop exits 0"
            cluster.start_worker()
    took = stack.settle(churn)
    print(f"{len(churn.done)} changes during the restart; converged {took:.1f} s after")
    tracebacks = stack.cluster.tracebacks()
    assert not tracebacks, "\n\n".join(tracebacks[:3])


def test_no_simulator_ever_refused_a_request_with_the_real_limits_on(stack: Stack) -> None:
    """The simulators keep Cronofy's 50/s and 500/min per application and each Zendesk
    account's per-minute limits; over the whole module (since the cluster started) and a
    burst across every account at once, no process of the cluster was answered 429."""
    churn = Churn(stack.sims, stack.url, seeded(4))
    for round in range(3):
        for tenant in stack.sims.tenants:
            churn.create(tenant, CONNECTED[(tenant.index + round) % len(CONNECTED)])
    took = converge(stack.sims, stack.cluster, churn, timeout=120)
    print(f"a burst of {len(churn.tickets)} tasks placed in {took:.1f} s")
    refused = {name: n - stack.refused_before[name]
               for name, n in stack.sims.refusals().items() if n > stack.refused_before[name]}
    assert refused == {}, f"429 answers to the cluster's processes, by simulator: {refused}"
