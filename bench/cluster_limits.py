"""Three workers under Cronofy's application limits: do they stay inside them? (issue 16, (b))

Cronofy allows one application 50 requests a second and 500 a minute (sliding windows),
whichever process sends them. Three accounts (200 agents, 10 open tasks each) are
connected at once while the worker tier runs as 3 ``zdcal worker`` processes (plus the
web tier, ``zdcal serve --no-workers``, on a fresh PostgreSQL database; ``cluster.py``):
their bootstrap and backfill jobs (a push channel and a batch per agent) and one ticket
change a second per account (Zendesk webhooks, drained by the workers; from when the
account's webhook exists until 30 s after the backfills, or for 300 s at most: live work
goes first, and an account's backfill may wait behind its drains) all spend the one
application budget. The Cronofy simulator (real limits, 50 ms of latency on every API
request) notes when each request arrived, admitted or refused: its busiest second and
busiest minute must stay at or below 50 and 500, and nothing may be refused (429).

The run ends when every account's events are recorded in zdcal's store, the changes have
been seen in the calendars (or 60 s passed) and Cronofy got no request for 5 s; the
calendars are then counted.

    .venv/bin/python bench/cluster_limits.py [--quick] [--accounts 3] [--agents 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from typing import Any

from cluster import (
    BenchAccount,
    Cluster,
    cluster_arguments,
    job_counts,
    machine_load,
    wait_for,
    work_directory,
    written_events,
    zdcal_env,
)
from simulators import SimulatorProcess
from webhook_latency import SETUP_DATE, LatencyProbe, due_at

API_LATENCY_MS = 50
PER_SECOND, PER_MINUTE = 50, 500
POLL_INTERVAL_SECONDS = 0.2
QUIET_SECONDS = 5.0
QUIET_TIMEOUT_SECONDS = 120.0
PROGRESS_EVERY_SECONDS = 1.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 accounts of 40 agents (~1 min; mostly the per-second window)")
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--agents", type=int, default=200, help="agents per account")
    parser.add_argument("--tasks-per-agent", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="changes a second per account")
    parser.add_argument("--after", type=float, default=30.0,
                        help="seconds of changes after the backfills ended")
    parser.add_argument("--changes-for", type=float, default=300.0,
                        help="stop the changes after this many seconds even if the "
                        "backfills are not done (they may wait behind live work)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="give up on the backfills after this many seconds")
    cluster_arguments(parser, workers=3)
    args = parser.parse_args()
    if args.quick:
        args.agents, args.changes_for = 40, 60.0
    return args


@dataclass
class Outcome:
    """When the backfills were all recorded (None: not within ``--timeout``) and when the
    changes were stopped for running ``--changes-for`` seconds (None: they ran to the
    end), in seconds from the connect; how many events were recorded at the end."""

    recorded_after: float | None = None
    changes_stopped_after: float | None = None
    recorded: int = 0


async def measure(cluster: Cluster, args: argparse.Namespace) -> tuple[list[LatencyProbe], Outcome]:
    """Connect every account, change tickets until the backfills are recorded (and
    ``--after`` more) or for ``--changes-for`` seconds at most; the probes and when
    what happened."""
    started = time.perf_counter()
    await asyncio.to_thread(asyncio.run, cluster.connect(*cluster.accounts))
    expected = {a.id: len(a.tasks) for a in cluster.accounts}
    probes = [
        LatencyProbe(cluster.cronofy, account.tasks, rate=args.rate, seconds=args.timeout * 2,
                     poll_interval=POLL_INTERVAL_SECONDS, polls_in_flight=1,
                     zendesk_url=account.sim.zendesk_url)
        for account in cluster.accounts
    ]

    async def changes(account: BenchAccount, probe: LatencyProbe) -> None:
        """Once zdcal's bootstrap job made the account's webhook, change its tickets."""
        while not await asyncio.to_thread(cluster.bootstrapped, account):
            if probe.stop_sending.is_set():
                return
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
        await probe.run()

    def stop_changes() -> None:
        for probe in probes:
            probe.stop_sending.set()

    sending = [asyncio.create_task(changes(a, p)) for a, p in zip(cluster.accounts, probes,
                                                                   strict=True)]
    outcome = Outcome()
    while (elapsed := time.perf_counter() - started) < args.timeout:
        written = await asyncio.to_thread(written_events, cluster.database_url)
        outcome.recorded = sum(written.values())
        if all(written.get(account, 0) >= n for account, n in expected.items()):
            outcome.recorded_after = elapsed
            break
        if outcome.changes_stopped_after is None and elapsed >= args.changes_for:
            stop_changes()
            outcome.changes_stopped_after = elapsed
        await asyncio.sleep(PROGRESS_EVERY_SECONDS)
    if outcome.changes_stopped_after is None:
        await asyncio.sleep(args.after)
    stop_changes()
    await asyncio.gather(*sending)
    return probes, outcome


def wait_until_quiet(sim: SimulatorProcess) -> bool:
    """Until Cronofy gets no API request for QUIET_SECONDS (retries of refused ones too);
    False when it was still getting them after QUIET_TIMEOUT_SECONDS."""
    last = {"requests": -1, "since": time.monotonic()}

    def quiet() -> bool:
        requests = sim.cronofy_requests()
        if requests != last["requests"]:
            last["requests"], last["since"] = requests, time.monotonic()
        return time.monotonic() - last["since"] >= QUIET_SECONDS

    try:
        wait_for(quiet, timeout=QUIET_TIMEOUT_SECONDS, what="Cronofy quiet")
    except TimeoutError:
        return False
    return True


def verdict(value: int, limit: int) -> str:
    return f"{value:>6,}  (limit {limit:,}: {'met' if value <= limit else 'MISSED'})"


def backfills(outcome: Outcome, tasks: int) -> str:
    """When the backfills were recorded, and whether live changes were still flowing."""
    if outcome.recorded_after is None:
        done = f"NOT all recorded within the timeout ({outcome.recorded:,} of {tasks:,})"
    else:
        done = f"all recorded {outcome.recorded_after:.1f} s after the connect"
    if outcome.changes_stopped_after is not None:
        done += (f"; the changes were stopped at {outcome.changes_stopped_after:.0f} s "
                 f"(--changes-for) with the backfills unfinished")
    return done


def report(args: argparse.Namespace, cluster: Cluster, probes: list[LatencyProbe],
           outcome: Outcome, facts: dict[str, Any]) -> str:
    cronofy = facts["cronofy"]
    refused = int(cronofy["by_status"].get("429", 0))
    tasks = sum(len(a.tasks) for a in cluster.accounts)
    sent = sum(len(p.changes) for p in probes)
    seen = sum(c.seen_at is not None for p in probes for c in p.changes)
    mode = "quick" if args.quick else "full"
    return "\n".join([
        "",
        f"=== cluster_limits ({mode}) ===",
        f"topology           PostgreSQL, 1 web (zdcal serve --no-workers) + {args.workers} "
        f"workers (concurrency {args.concurrency or 'default'}), Cronofy limits on "
        f"({PER_SECOND}/s, {PER_MINUTE}/min), {API_LATENCY_MS} ms API latency",
        f"workload           {args.accounts} accounts x {args.agents} agents x "
        f"{args.tasks_per_agent} tasks connected at once ({tasks:,} events), "
        f"+ {args.rate:g} change/s per account",
        f"Cronofy requests   {cronofy['requests']:,} ({cronofy['batch_entries']:,} batch "
        f"entries) by route {cronofy['by_route']}",
        f"busiest second     {verdict(cronofy['busiest_second'], PER_SECOND)}",
        f"busiest minute     {verdict(cronofy['busiest_minute'], PER_MINUTE)}",
        f"refused (429)      {refused:>6,}  (target 0: {'met' if refused == 0 else 'MISSED'})",
        f"Cronofy by worker  {facts['by_worker']} responses (each worker's /metrics)",
        f"backfills          {backfills(outcome, tasks)}; in the calendars "
        f"{facts['events']:,} of {tasks:,} events",
        f"changes            {sent} sent, {seen} seen in the calendars",
        f"Cronofy at the end {'quiet' if facts['quiet'] else 'STILL BUSY'} "
        f"({QUIET_SECONDS:g} s without a request, waited up to {QUIET_TIMEOUT_SECONDS:g} s)",
        f"Zendesk 429s       {facts['zendesk_refused']}",
        f"jobs               {facts['jobs']}",
        f"zdcal's logs       {facts['logs']}",
        f"machine            {facts['load_before']} before; {facts['load_after']} after",
    ])


def main() -> None:
    args = arguments()
    extra_env = zdcal_env(args.zdcal_env)
    with (
        work_directory(args.keep, "zdcal-limits-") as work_dir,
        Cluster(work_dir, [args.agents] * args.accounts, extra_env=extra_env) as cluster,
    ):
        cluster.start_tiers(args.workers, args.concurrency)
        for account in cluster.accounts:
            cluster.create_tasks(account, args.tasks_per_agent, due_at(SETUP_DATE))
            account.sim.zendesk.put("/_sandbox/faults", json={"latency_ms": API_LATENCY_MS})
        cluster.cronofy.cronofy.put("/_sandbox/faults", json={"latency_ms": API_LATENCY_MS})
        cluster.cronofy.reset_stats()
        print(f"{len(cluster.workers)} workers up; connecting {args.accounts} accounts of "
              f"{args.agents} agents", flush=True)
        load_before = machine_load()
        probes, outcome = asyncio.run(measure(cluster, args))
        quiet = wait_until_quiet(cluster.cronofy)
        facts = {
            "quiet": quiet,
            "cronofy": cluster.cronofy.cronofy_stats(),
            "by_worker": cluster.worker_calendar_requests(),
            "zendesk_refused": [int(a.sim.zendesk_stats()["by_status"].get("429", 0))
                                for a in cluster.accounts],
            "jobs": {k: v for k, v in sorted(job_counts(cluster.database_url).items())
                     if not k.startswith("zdcal.tick")},
            "events": sum(cluster.calendar_events(a) for a in cluster.accounts),
            "load_before": load_before,
            "load_after": machine_load(),
            "logs": cluster.log_counts(),
        }
        text = report(args, cluster, probes, outcome, facts)
    print(text)


if __name__ == "__main__":
    main()
