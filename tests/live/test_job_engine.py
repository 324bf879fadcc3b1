"""The job engine on PostgreSQL (docs/scale.md): jobs deferred and coalesced, one
account's jobs never at once across workers, a killed worker's job run again, a graceful
stop, and the two tiers (``zdcal serve --no-workers`` + ``zdcal worker``) end to end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from live_support import bootstrap, eventually, serve_process
from procrastinate.jobs import Status
from world import KENJI, NIA, World, calendar, due, open_world, zdcal_env

from zdcal.jobs.queued import (
    HEARTBEAT_SECONDS,
    PRIORITY_LIVE,
    PRIORITY_REQUEST,
    PRIORITY_SWEEP,
    STALLED_AFTER_SECONDS,
    QueuedWork,
)
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.store.engine import libpq_url
from zdcal_testing import PostgresDatabases, free_port

pytestmark = pytest.mark.postgres
CALENDARS = [calendar("ada"), calendar("bob")]


@pytest.fixture
def world(tmp_path: Path, postgres_databases: PostgresDatabases) -> Iterator[World]:
    url = postgres_databases.create()
    try:
        with open_world(tmp_path, url) as world:
            world.connect(NIA, "ada")
            world.connect(KENJI, "bob")
            yield world
    finally:
        postgres_databases.drop(url)


def jobs(world: World) -> list[dict[str, Any]]:
    with psycopg.connect(libpq_url(world.settings.database_url)) as db:
        rows = db.execute(
            "SELECT id, task_name, status, lock, queueing_lock, priority FROM procrastinate_jobs"
            " ORDER BY id"
        ).fetchall()
    keys = ("id", "task", "status", "lock", "queueing_lock", "priority")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def runs(world: World) -> list[tuple[int, str, datetime, datetime]]:
    """(job, lock, started, ended) of every job that ran, from procrastinate's events."""
    with psycopg.connect(libpq_url(world.settings.database_url)) as db:
        rows = db.execute(
            "SELECT j.id, j.lock, min(e.at) FILTER (WHERE e.type = 'started'),"
            " max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed', 'aborted'))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " GROUP BY j.id, j.lock HAVING count(*) FILTER (WHERE e.type = 'started') > 0"
        ).fetchall()
    return [(job, lock, started, ended) for job, lock, started, ended in rows]


def settled(world: World) -> bool:
    return all(job["status"] in {"succeeded", "failed", "aborted"} for job in jobs(world)
               if job["task"] != "zdcal.tick")


def worker_process(
    world: World, log: Path, health_port: int | None = None
) -> subprocess.Popen[bytes]:
    health = [] if health_port is None else ["--health-port", str(health_port)]
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "zdcal.cli", "worker", "--concurrency", "4", *health],
            env=zdcal_env(world), stdout=subprocess.DEVNULL, stderr=stderr,
        )


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def test_jobs_are_deferred_coalesced_with_the_account_lock(world: World) -> None:
    async def work(runtime: Runtime) -> list[bool]:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False)
        try:
            await queued.open()
            return [
                await queued.defer("drain", 1),
                await queued.defer("drain", 1),  # one waits already: coalesced
                await queued.defer("drain", 2),
                await queued.defer("sweep", 1),
                await queued.defer("verify", 1),
                await queued.defer("agent sync", 1, zendesk_user_id=NIA),
                await queued.defer("agent sync", 1, zendesk_user_id=KENJI),
            ]
        finally:
            await queued.stop()
            await services.close()

    assert world.run(work) == [True, False, True, True, True, True, True]
    found = jobs(world)
    assert [(j["task"], j["lock"], j["queueing_lock"]) for j in found] == [
        ("zdcal.drain", "account:1", "drain:1"),
        ("zdcal.drain", "account:2", "drain:2"),
        ("zdcal.sweep", "account:1", "sweep:1"),
        ("zdcal.verify", "account:1", "verify:1"),
        ("zdcal.agent_sync", "account:1", f"agent_sync:1:{NIA}"),
        ("zdcal.agent_sync", "account:1", f"agent_sync:1:{KENJI}"),
    ]
    assert {j["status"] for j in found} == {"todo"}
    priorities = {j["task"]: j["priority"] for j in found}
    assert priorities["zdcal.drain"] == PRIORITY_LIVE > priorities["zdcal.sweep"] == \
        PRIORITY_SWEEP > priorities["zdcal.verify"] == PRIORITY_REQUEST


def test_a_job_waiting_long_is_not_overtaken_by_its_accounts_newer_live_jobs(
    world: World,
) -> None:
    """Within one account procrastinate runs the higher priority first: without the rule,
    one live change a second would keep the account's backfill waiting for ever."""
    wait = timedelta(seconds=1)

    async def work(runtime: Runtime) -> list[str]:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False, starved_after=wait)
        try:
            await queued.open()
            await queued.defer("backfill", 1)
            await queued.defer("backfill", 2)
            await queued.defer("drain", 2)  # account 2's backfill has not waited long
            await asyncio.sleep(wait.total_seconds() + 0.2)
            await queued.defer("drain", 1)  # account 1's backfill has: the drain goes after
            manager = queued.app.job_manager
            worker = await manager.register_worker()
            order = []
            while job := await manager.fetch_job(queues=None, worker_id=worker):
                order.append(f"{job.task_name}:{job.lock}")
                await manager.finish_job(job, status=Status.SUCCEEDED, delete_job=False)
            await manager.unregister_worker(worker)
            return order
        finally:
            await queued.stop()
            await services.close()

    order = world.run(work)
    assert order.index("zdcal.backfill:account:1") < order.index("zdcal.drain:account:1")
    assert order.index("zdcal.drain:account:2") < order.index("zdcal.backfill:account:2")
    drains = {j["lock"]: j["priority"] for j in jobs(world) if j["task"] == "zdcal.drain"}
    assert drains == {"account:1": PRIORITY_REQUEST, "account:2": PRIORITY_LIVE}


def test_committed_notifications_defer_their_account_drain(world: World) -> None:
    async def work(runtime: Runtime) -> None:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False)
        queued.start()
        try:
            async with runtime.store.transaction() as tx:
                account = await tx.accounts.get_by_subdomain("sandbox")
                assert account is not None
                await tx.notifications.add_many([(account.id, 101), (account.id, 102)])
            for _ in range(3):
                queued.notify()
                await asyncio.sleep(0.5)
        finally:
            await queued.stop()
            await services.close()

    world.run(work)
    assert [(j["task"], j["status"]) for j in jobs(world)] == [("zdcal.drain", "todo")]


def test_one_accounts_jobs_never_overlap_across_two_workers(world: World, tmp_path: Path) -> None:
    tickets = [world.create_task(NIA if i % 2 else KENJI, due(f"2030-09-{i + 1:02d}"))
               for i in range(6)]
    world.advance_zendesk(61)
    world.cronofy_faults(latency_ms=60)  # every job takes a while: overlaps would show

    async def defer_all(runtime: Runtime) -> None:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False)
        try:
            await queued.open()
            for kind in ("sweep", "verify", "backfill", "channel renewal"):
                await queued.defer(kind, 1)
            for user in (NIA, KENJI):
                await queued.defer("agent sync", 1, zendesk_user_id=user)
        finally:
            await queued.stop()
            await services.close()

    world.run(defer_all)
    log = tmp_path / "workers.log"
    workers = [worker_process(world, log), worker_process(world, log)]
    try:
        eventually(lambda: settled(world), timeout=60, every=0.5)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)
    ran = sorted((started, ended) for _, lock, started, ended in runs(world)
                 if lock == "account:1")
    assert len(ran) >= 6
    for (_, ended), (started, _) in itertools.pairwise(ran):
        assert ended <= started, "two jobs of one account ran at once"
    assert {j["status"] for j in jobs(world) if j["task"] != "zdcal.tick"} == {"succeeded"}
    assert world.all_managed(CALENDARS) == world.expected(CALENDARS)
    assert len(tickets) == 6
    assert "Traceback" not in log.read_text()


def test_a_killed_workers_job_runs_again_and_nothing_is_lost(
    world: World, tmp_path: Path
) -> None:
    for i in range(4):
        world.create_task(NIA, due(f"2030-10-{i + 1:02d}"))
    world.advance_zendesk(61)
    world.cronofy_faults(latency_ms=1500)  # the sweep is still writing when killed
    log = tmp_path / "workers.log"
    first = worker_process(world, log)
    try:
        eventually(lambda: any(j["task"] == "zdcal.sweep" and j["status"] == "doing"
                               for j in jobs(world)), timeout=30, every=0.1)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        stop(first)
    world.cronofy_faults(latency_ms=0)
    second = worker_process(world, log)
    try:
        # Its heartbeats stopped: after STALLED_AFTER_SECONDS the job is run again.
        eventually(lambda: settled(world) and world.all_managed(CALENDARS)
                   == world.expected(CALENDARS), timeout=40, every=0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    sweeps = [j["status"] for j in jobs(world) if j["task"] == "zdcal.sweep"]
    # Run again, or ended in favour of the sweep the second worker deferred at its start.
    assert "succeeded" in sweeps
    assert set(sweeps) <= {"succeeded", "aborted"}
    text = log.read_text()
    assert "stalled: its worker is gone" in text
    assert "could not look for stalled jobs" not in text


def test_sigterm_lets_the_job_in_flight_finish(world: World, tmp_path: Path) -> None:
    for i in range(3):
        world.create_task(KENJI, due(f"2030-11-{i + 1:02d}"))
    world.advance_zendesk(61)
    world.cronofy_faults(latency_ms=700)
    log, port = tmp_path / "worker.log", free_port()
    worker = worker_process(world, log, health_port=port)
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/readyz"), timeout=30)
        assert 'target_info{tier="worker"} 1.0' in httpx.get(
            f"http://127.0.0.1:{port}/metrics").text
        eventually(lambda: any(j["task"] == "zdcal.sweep" and j["status"] == "doing"
                               for j in jobs(world)), timeout=30, every=0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        stop(worker)
    sweep = next(j for j in jobs(world) if j["task"] == "zdcal.sweep")
    assert sweep["status"] == "succeeded"
    assert world.all_managed(CALENDARS) == world.expected(CALENDARS)


def test_a_stopping_worker_is_not_taken_for_dead_while_its_job_finishes(
    world: World, tmp_path: Path
) -> None:
    """A worker told to stop lets its jobs in flight finish; meanwhile it still beats, so
    no worker runs those jobs again beside it (procrastinate alone stops beating when the
    stop begins: the rolling restart of tests/live/test_cluster.py caught it)."""
    world.create_task(NIA, due("2030-08-01"))
    world.advance_zendesk(61)
    log = tmp_path / "worker.log"
    waited = STALLED_AFTER_SECONDS + 3

    async def stop_while_a_sweep_waits(runtime: Runtime) -> tuple[int, str, int | None]:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False)
        worker = worker_process(world, log)
        try:
            await queued.open()
            async with services.account_work(1):  # the worker's start-up sweep waits
                await asyncio.to_thread(eventually, lambda: any(
                    j["task"] == "zdcal.sweep" and j["status"] == "doing"
                    and j["lock"] == "account:1" for j in jobs(world)), 30, 0.1)
                worker.send_signal(signal.SIGTERM)
                await asyncio.sleep(waited)
                recovered = await queued.recover_stalled()
                status = next(j["status"] for j in jobs(world)
                              if j["task"] == "zdcal.sweep" and j["lock"] == "account:1")
            code = await asyncio.to_thread(worker.wait, 60)
        finally:
            stop(worker)
            await queued.stop()
            await services.close()
        return recovered, status, code

    recovered, status, code = world.run(stop_while_a_sweep_waits)
    assert (recovered, status, code) == (0, "doing", 0)
    sweeps = [j["status"] for j in jobs(world) if j["task"] == "zdcal.sweep"
              and j["lock"] == "account:1"]
    assert sweeps == ["succeeded"]
    assert world.all_managed(CALENDARS) == world.expected(CALENDARS)
    assert "Traceback" not in log.read_text()


def test_a_worker_whose_event_loop_is_held_still_beats(world: World) -> None:
    """A job holding the worker's event loop (CPU-heavy planning on a loaded machine) does
    not make the worker look dead: its heartbeat comes from a thread of its own."""

    async def hold_the_loop(runtime: Runtime) -> tuple[float, float]:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=True, worker_name="held")
        worker = asyncio.create_task(queued.run(install_signal_handlers=False))
        try:
            url = libpq_url(world.settings.database_url)
            with psycopg.connect(url, autocommit=True) as db:
                def heartbeat_age() -> float:
                    row = db.execute("SELECT extract(epoch FROM clock_timestamp()"
                                     " - last_heartbeat) FROM procrastinate_workers").fetchone()
                    return -1.0 if row is None else float(row[0])

                for _ in range(300):  # until the worker has registered
                    if heartbeat_age() >= 0:
                        break
                    await asyncio.sleep(0.1)
                # Hold this event loop, the worker's: the point of the test.
                time.sleep(STALLED_AFTER_SECONDS + 2)  # noqa: ASYNC251
                held = heartbeat_age()
                recovered = float(await queued.recover_stalled())
            return held, recovered
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await queued.stop()
            await services.close()

    held, recovered = world.run(hold_the_loop)
    assert held < 2 * HEARTBEAT_SECONDS + 1, held
    assert recovered == 0


def test_web_tier_and_worker_tier_turn_a_notification_into_an_event(
    world: World, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "tiers.log"
    web = serve_process(world, port, log, workers=False)
    worker = worker_process(world, log)
    try:
        bootstrap(world, f"http://127.0.0.1:{port}")
        eventually(lambda: settled(world), timeout=30, every=0.5)  # the start's sweeps
        ticket = world.create_task(NIA, due("2030-12-01"))  # Zendesk's trigger notifies
        eventually(lambda: world.all_managed(CALENDARS) == world.expected(CALENDARS)
                   and any(str(ticket) in str(e) for e in world.events(calendar("ada"))),
                   timeout=20, every=0.25)
        assert any(j["task"] == "zdcal.drain" and j["status"] == "succeeded"
                   for j in jobs(world))
    finally:
        web.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        web.wait(timeout=60)
        worker.wait(timeout=60)
    assert "Traceback" not in log.read_text()


def test_worker_on_sqlite_says_it_needs_postgresql(tmp_path: Path) -> None:
    with open_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}") as world:
        done = subprocess.run(
            [sys.executable, "-m", "zdcal.cli", "worker"], env=zdcal_env(world),
            capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 1
    assert "zdcal worker needs PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cli_command_holding_the_account_keeps_worker_jobs_off_it(
    world: World, tmp_path: Path
) -> None:
    world.create_task(NIA, due("2030-08-01"))
    world.advance_zendesk(61)
    log = tmp_path / "worker.log"

    async def hold_while_a_sweep_waits(runtime: Runtime) -> list[int]:
        services = Services(runtime)
        queued = QueuedWork(services, run_worker=False)
        written_meanwhile = []
        worker = worker_process(world, log)
        try:
            await queued.open()
            # What `zdcal sync` and the other account commands do: hold the account.
            async with services.account_work(1):
                await queued.defer("sweep", 1)
                for _ in range(8):
                    await asyncio.sleep(0.5)
                    written_meanwhile.append(len(world.all_managed(CALENDARS)[calendar("ada")]))
        finally:
            await queued.stop()
            await services.close()
        try:
            await asyncio.to_thread(eventually, lambda: world.all_managed(CALENDARS)
                                    == world.expected(CALENDARS), 30, 0.5)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        return written_meanwhile

    assert set(world.run(hold_while_a_sweep_waits)) == {0}
    assert world.expected(CALENDARS)[calendar("ada")]


def test_workers_looking_for_stalled_jobs_at_once_run_each_again_once(world: World) -> None:
    """Every worker looks for the jobs of dead workers every few seconds: two looking at
    once used to both act on the same list, the second failing on a job the first had
    already put back (which ended its whole pass) or putting back a job a live worker
    had taken meanwhile (its account's lock then held by a job nobody ran)."""

    async def work(runtime: Runtime) -> tuple[list[int], int]:
        services = Services(runtime)
        workers = [QueuedWork(services, run_worker=False) for _ in range(3)]
        try:
            for queued in workers:
                await queued.open()
            await workers[0].defer("drain", 1)
            manager = workers[0].app.job_manager
            dead = await manager.register_worker()
            taken = await manager.fetch_job(["zdcal"], dead)
            assert taken is not None
            with psycopg.connect(libpq_url(world.settings.database_url)) as db:
                db.execute("UPDATE procrastinate_workers SET last_heartbeat = now()"
                           " - interval '1 minute' WHERE id = %s", (dead,))
            found = await asyncio.gather(*(q.recover_stalled() for q in workers))
            return found, taken.id or 0
        finally:
            for queued in workers:
                await queued.stop()
            await services.close()

    found, job = world.run(work)
    assert sum(found) == 1, found
    [drain] = jobs(world)
    assert (drain["id"], drain["status"]) == (job, "todo")
    with psycopg.connect(libpq_url(world.settings.database_url)) as db:
        attempts = db.execute("SELECT attempts FROM procrastinate_jobs WHERE id = %s",
                              (job,)).fetchone()
    assert attempts == (1,)
