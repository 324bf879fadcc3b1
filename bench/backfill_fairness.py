"""Does one account's backfill delay another account's live changes? (issue 16, (a))

Account A (400 agents) is connected while account B (10 agents) gets one ticket change a
second: A's 20,000 open tasks are backfilled by the worker tier while each of B's changes
must still reach its agent's calendar within 2 s (p99). Topology (``cluster.py``): a fresh
PostgreSQL database, the web tier (``zdcal serve --no-workers``) and 3 ``zdcal worker``
processes; A's and B's Zendesk each a ``zdcal sandbox`` process, one Cronofy for both with
its real limits (50 requests a second, 500 a minute per application), 50 ms of latency on
every API request once B's tasks are in the calendars.

B's changes are timed as ``webhook_latency.py`` times them: from the PUT in Zendesk's agent
UI (its trigger sends zdcal a signed webhook) to the first poll of the agent's calendar
that shows the change's date. A is connected as the account-connect page does it: the
account in the store, then a bootstrap job (webhook, trigger, push channels) and a backfill
job deferred for the workers. A's
progress is zdcal's ``calendar_entries`` rows (an event is recorded once Cronofy took it);
at the end the calendars themselves are counted.

    .venv/bin/python bench/backfill_fairness.py [--quick] [--tasks 20000] [--agents 400]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

from cluster import (
    Cluster,
    cluster_arguments,
    job_counts,
    machine_load,
    work_directory,
    written_events,
    zdcal_env,
)
from report_table import percentile
from simulators import wait_for_backfill
from webhook_latency import SETUP_DATE, Change, LatencyProbe, due_at
from zdcal_serve import bootstrap

API_LATENCY_MS = 50
TARGET_P99_SECONDS = 2.0
POLL_INTERVAL_SECONDS = 0.05
PROGRESS_EVERY_SECONDS = 0.5


@dataclass
class Backfill:
    """A's backfill as seen from zdcal's store: when it was asked for, (time, events)
    samples, when the last event was recorded."""

    expected: int
    deferred_at: float = 0.0
    done_at: float | None = None
    samples: list[tuple[float, int]] | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.done_at is None else self.done_at - self.deferred_at



def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="A: 4,000 tasks over 80 agents; B: 5 agents (~1 min)")
    parser.add_argument("--tasks", type=int, default=20_000, help="A's open tasks")
    parser.add_argument("--agents", type=int, default=400, help="A's agents")
    parser.add_argument("--b-agents", type=int, default=10, help="B's agents (2 tasks each)")
    parser.add_argument("--rate", type=float, default=1.0, help="B's changes a second")
    parser.add_argument("--before", type=float, default=10.0,
                        help="seconds of B's changes before A is connected")
    parser.add_argument("--after", type=float, default=10.0,
                        help="seconds of B's changes after A's backfill ended")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="give up on A's backfill after this many seconds")
    cluster_arguments(parser, workers=3)
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.agents, args.b_agents, args.before, args.after = 4000, 80, 5, 5.0, 5.0
    return args


async def measure(cluster: Cluster, probe: LatencyProbe, args: argparse.Namespace) -> Backfill:
    """B's changes flow; A is connected; wait for A's events; B's changes go on a while."""
    a = cluster.accounts[0]
    backfill = Backfill(expected=len(a.tasks), samples=[])
    sending = asyncio.create_task(probe.run())
    await asyncio.sleep(args.before)
    backfill.deferred_at = time.perf_counter()
    # The store and Zendesk calls in a loop of their own: this loop keeps timing B.
    await asyncio.to_thread(asyncio.run, cluster.connect(a))
    while time.perf_counter() - backfill.deferred_at < args.timeout:
        written = (await asyncio.to_thread(written_events, cluster.database_url)).get(a.id, 0)
        now = time.perf_counter()
        assert backfill.samples is not None
        backfill.samples.append((now, written))
        if written >= backfill.expected:
            backfill.done_at = now
            break
        await asyncio.sleep(PROGRESS_EVERY_SECONDS)
    await asyncio.sleep(args.after)
    probe.stop_sending.set()
    await sending
    return backfill


def distribution(changes: list[Change]) -> str:
    if not changes:
        return "no changes"
    values = [c.latency * 1000 for c in changes]
    return (f"n={len(values)}  p50 {statistics.median(values):,.0f}  p90 "
            f"{percentile(values, 0.9):,.0f}  p99 {percentile(values, 0.99):,.0f}  "
            f"max {max(values):,.0f} ms")


def report(args: argparse.Namespace, probe: LatencyProbe, backfill: Backfill,
           facts: dict[str, Any]) -> str:
    seen = [c for c in probe.changes if c.seen_at is not None]
    end = backfill.done_at if backfill.done_at is not None else float("inf")
    during = [c for c in seen if backfill.deferred_at <= c.sent_at <= end]
    p99 = percentile([c.latency for c in during], 0.99) if during else float("inf")
    seconds = backfill.seconds
    cronofy = facts["cronofy"]
    mode = "quick" if args.quick else "full"
    lines = [
        "",
        f"=== backfill_fairness ({mode}) ===",
        f"topology           PostgreSQL, 1 web (zdcal serve --no-workers) + {args.workers} "
        f"workers (concurrency {args.concurrency or 'default'}), Cronofy limits on, "
        f"{API_LATENCY_MS} ms API latency",
        f"account A          {args.tasks:,} tasks over {args.agents} agents, connected "
        f"{args.before:g} s into B's changes",
        f"account B          {args.b_agents} agents, {len(probe.tasks)} tasks, "
        f"{args.rate:g} change/s",
        f"B change → event   during A's backfill: {distribution(during)}",
        f"                   whole run:           {distribution(seen)}",
        f"target             p99 < {TARGET_P99_SECONDS:g} s during A's backfill: "
        f"{'met' if p99 < TARGET_P99_SECONDS else 'MISSED'}",
        f"B changes          {len(probe.changes)} sent, {len(seen)} seen, "
        f"{len(probe.changes) - len(seen)} not seen, {probe.failed_puts} PUTs failed",
    ]
    if seconds is not None:
        lines.append(
            f"A backfill         {backfill.expected:,} events in {seconds:.1f} s from the "
            f"defer = {backfill.expected / seconds:,.0f} events/s")
    else:
        written = backfill.samples[-1][1] if backfill.samples else 0
        lines.append(f"A backfill         NOT DONE within {args.timeout:.0f} s: "
                     f"{written:,} of {backfill.expected:,} events")
    lines += [
        f"A in calendars     {facts['a_events']:,} of {backfill.expected:,} events",
        f"Cronofy            {cronofy['requests']:,} requests ({cronofy['batch_entries']:,} "
        f"batch entries), {cronofy['by_status'].get('429', 0)} refused (429); busiest "
        f"second {cronofy['busiest_second']}, busiest minute {cronofy['busiest_minute']}",
        f"Cronofy by worker  {facts['by_worker']} responses",
        f"Cronofy by route   {cronofy['by_route']}",
        f"jobs               {facts['jobs']}",
        f"zdcal's logs       {facts['logs']}",
        f"machine            {facts['load_before']} before; {facts['load_after']} after",
    ]
    return "\n".join(lines)


def main() -> None:
    args = arguments()
    extra_env = zdcal_env(args.zdcal_env)
    per_agent = max(1, args.tasks // args.agents)
    args.tasks = per_agent * args.agents
    with (
        work_directory(args.keep, "zdcal-fairness-") as work_dir,
        Cluster(work_dir, [args.agents, args.b_agents], extra_env=extra_env) as cluster,
    ):
        a, b = cluster.accounts
        asyncio.run(cluster.install(b))
        cluster.create_tasks(b, 2, due_at(SETUP_DATE))
        cluster.start_tiers(args.workers, args.concurrency)
        asyncio.run(bootstrap(cluster.settings, cluster.settings.public_url, b.id))
        ready = wait_for_backfill(cluster.cronofy, b.tasks)
        cluster.create_tasks(a, per_agent, due_at(SETUP_DATE))
        print(f"B's {len(b.tasks)} tasks in their calendars after {ready:.1f} s; A's "
              f"{len(a.tasks):,} tasks in its Zendesk; {len(cluster.workers)} workers",
              flush=True)
        for client in (a.sim.zendesk, b.sim.zendesk, cluster.cronofy.cronofy):
            client.put("/_sandbox/faults", json={"latency_ms": API_LATENCY_MS})
        cluster.cronofy.reset_stats()
        probe = LatencyProbe(
            cluster.cronofy, b.tasks, rate=args.rate, seconds=args.timeout * 2,
            poll_interval=POLL_INTERVAL_SECONDS, polls_in_flight=2,
            zendesk_url=b.sim.zendesk_url,
        )
        load_before = machine_load()
        backfill = asyncio.run(measure(cluster, probe, args))
        facts = {
            "cronofy": cluster.cronofy.cronofy_stats(),
            "by_worker": cluster.worker_calendar_requests(),
            "jobs": {k: v for k, v in sorted(
                job_counts(cluster.database_url).items())
                if not k.startswith("zdcal.tick")},
            "load_before": load_before,
            "load_after": machine_load(),
            "logs": cluster.log_counts(),
            "a_events": cluster.calendar_events(a),
        }
    print(report(args, probe, backfill, facts))


if __name__ == "__main__":
    main()
