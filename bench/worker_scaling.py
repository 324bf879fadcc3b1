"""Backfill throughput of 1 worker against 3, with the APIs' limits lifted (issue 16, (c))

Six accounts (40 agents, 100 open tasks each: 24,000 events) are connected at once and
backfilled by the worker tier: first 1 ``zdcal worker`` process, then 3, each run on a
fresh PostgreSQL database with fresh simulators and the web tier (``zdcal serve
--no-workers``; ``cluster.py``). The simulators' limits are lifted (Zendesk's account and
export limits, Cronofy's 50/s and 500/min) and there is no added latency, so the figure
is what the machine's cores, PostgreSQL and zdcal make of it. Throughput is events
recorded in zdcal's store (``calendar_entries``, written once Cronofy took them) per
second, from the backfill jobs' defer to the last event; the calendars are counted after.

zdcal's own Cronofy budget is lifted too (``ZDCAL_CRONOFY_REQUESTS_PER_SECOND`` and
``_PER_MINUTE`` far above what the machine can send), so the machine, PostgreSQL and zdcal
are the bound; the busiest second the simulator saw is printed. ``--zdcal-env
ZDCAL_X=V`` passes further settings to every zdcal process.

    .venv/bin/python bench/worker_scaling.py [--quick] [--accounts 6] [--agents 40]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from cluster import (
    UNLIMITED_CRONOFY,
    UNLIMITED_ZENDESK,
    Cluster,
    cluster_arguments,
    machine_load,
    work_directory,
    written_events,
    zdcal_env,
)
from report_table import table
from webhook_latency import SETUP_DATE, due_at

PROGRESS_EVERY_SECONDS = 0.25


@dataclass(frozen=True)
class Run:
    """One configuration's result."""

    workers: int
    events: int
    seconds: float
    in_calendars: int
    cronofy_requests: int
    busiest_second: int
    by_worker: list[int | None]
    load_before: str
    load_after: str
    logs: dict[str, int]

    @property
    def throughput(self) -> float:
        return self.events / self.seconds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 accounts of 20 agents (6,000 events; ~1-2 min)")
    parser.add_argument("--accounts", type=int, default=6)
    parser.add_argument("--agents", type=int, default=40, help="agents per account")
    parser.add_argument("--tasks-per-agent", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3],
                        help="worker counts to compare (one run each)")
    parser.add_argument("--timeout", type=float, default=900.0)
    cluster_arguments(parser, workers=None)
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.agents = 3, 20
    return args


async def backfill_all(cluster: Cluster, give_up_after: float) -> float:
    """Connect the accounts (no webhooks: nothing changes) and defer their backfills, then
    wait until every event is recorded; seconds from the start of the connect (a few
    store writes: the tick may start a backfill before its job is deferred)."""
    expected = sum(len(a.tasks) for a in cluster.accounts)
    started = time.perf_counter()
    await cluster.connect(*cluster.accounts, webhooks=False)
    while time.perf_counter() - started < give_up_after:
        written = await asyncio.to_thread(written_events, cluster.database_url)
        if sum(written.values()) >= expected:
            return time.perf_counter() - started
        await asyncio.sleep(PROGRESS_EVERY_SECONDS)
    raise TimeoutError(f"the backfills were not done within {give_up_after:.0f} s")


LIFTED_BUDGETS = {"ZDCAL_CRONOFY_REQUESTS_PER_SECOND": "100000",
                  "ZDCAL_CRONOFY_REQUESTS_PER_MINUTE": "6000000"}
"""zdcal's Cronofy budget, lifted with the simulator's limits."""


def one_run(args: argparse.Namespace, workers: int, work_dir: Path) -> Run:
    work_dir.mkdir(parents=True, exist_ok=True)
    with Cluster(work_dir, [args.agents] * args.accounts,
                 zendesk_settings=UNLIMITED_ZENDESK, cronofy_settings=UNLIMITED_CRONOFY,
                 extra_env={**LIFTED_BUDGETS, **zdcal_env(args.zdcal_env)}) as cluster:
        cluster.start_tiers(workers, args.concurrency)
        for account in cluster.accounts:
            cluster.create_tasks(account, args.tasks_per_agent, due_at(SETUP_DATE))
        cluster.cronofy.reset_stats()
        load_before = machine_load()
        seconds = asyncio.run(backfill_all(cluster, args.timeout))
        load_after = machine_load()
        stats = cluster.cronofy.cronofy_stats()
        run = Run(
            workers=workers,
            events=sum(len(a.tasks) for a in cluster.accounts),
            seconds=seconds,
            in_calendars=sum(cluster.calendar_events(a) for a in cluster.accounts),
            cronofy_requests=int(stats["requests"]),
            busiest_second=int(stats["busiest_second"]),
            by_worker=cluster.worker_calendar_requests(),
            load_before=load_before,
            load_after=load_after,
            logs=cluster.log_counts(),
        )
    print(f"{workers} worker(s): {run.events:,} events in {run.seconds:.1f} s "
          f"({run.throughput:,.0f}/s)", flush=True)
    return run


def report(args: argparse.Namespace, runs: list[Run]) -> str:
    mode = "quick" if args.quick else "full"
    base = runs[0]
    rows = [
        [f"{r.workers} worker(s)", f"{r.events:,}", f"{r.seconds:.1f}", f"{r.throughput:,.0f}",
         f"{r.throughput / base.throughput:.2f}x", f"{r.in_calendars:,}",
         f"{r.cronofy_requests:,}", r.busiest_second, str(r.by_worker)]
        for r in runs
    ]
    lines = [
        "",
        f"=== worker_scaling ({mode}) ===",
        f"topology   PostgreSQL, 1 web (zdcal serve --no-workers) + N workers (concurrency "
        f"{args.concurrency or 'default'}); simulators' limits lifted, no added latency; "
        f"zdcal's Cronofy budget lifted",
        f"workload   {args.accounts} accounts x {args.agents} agents x "
        f"{args.tasks_per_agent} tasks, backfilled at once",
        "",
        table(["run", "events", "seconds", "events/s", f"vs {base.workers}",
               "in calendars", "Cronofy requests", "busiest second", "by worker"], rows),
        "",
    ]
    for r in runs:
        lines.append(f"{r.workers} worker(s): {r.load_before} before; {r.load_after} after; "
                     f"zdcal's logs {r.logs}")
    if len(runs) > 1:
        lines.append(f"ratio {runs[-1].workers} vs {base.workers} workers: "
                     f"{runs[-1].throughput / base.throughput:.2f}x")
    return "\n".join(lines)


def main() -> None:
    args = arguments()
    runs = []
    with work_directory(args.keep, "zdcal-scaling-") as work_dir:
        for workers in args.workers:
            runs.append(one_run(args, workers, work_dir / f"workers{workers}"))
    print(report(args, runs))


if __name__ == "__main__":
    main()
