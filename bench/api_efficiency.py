"""API efficiency: requests zdcal sends against the seed write-up's strategy, on the same
simulated history (AGENTS connected agents, CHANGES ticket changes, ~5% on tasks).

Each run gets a fresh simulator process seeded with the same tickets and replays the same
changes; requests are counted by the simulators (``/_sandbox/stats``). Set-up (the first
full read and write of each side) is not counted. Rate limits are lifted on both
simulators and in zdcal's Cronofy pacing: requests are counted, not time.

    python bench/api_efficiency.py [--agents 200] [--changes 10000] [--sweep-every 100]
                                   [--sample-agents 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from change_history import History, apply_change, build_history, seed_tickets
from population import BenchAgent, agents, install, scenario, zdcal_settings
from report_table import count, table, verdict
from seed_strategy import SeedStrategyAgent, cronofy_client, zendesk_client
from simulators import SimulatorProcess
from zdcal.runtime import Runtime
from zdcal.store import Account
from zdcal.sync.report import SyncReport
from zdcal_session import account_sync, unlimited_cronofy_limiter

NO_LIMIT = 1_000_000_000
SWEEP_INTERVAL_SECONDS = 120  # the live service's default sweep interval
WEBHOOK_WINDOW_SECONDS = 1.0
BASELINE_SECONDS_PER_CHANGE = 2  # Zendesk clock steps between changes in the baseline run
TARGET_CALENDAR_RATIO = 50
TARGET_ZENDESK_RATIO = 20


@dataclass
class Counts:
    zendesk: float
    cronofy: float
    note: str = ""


def unlimited_world(team: list[BenchAgent]) -> dict[str, object]:
    return scenario(
        team,
        zendesk_settings={"requests_per_minute": NO_LIMIT,
                          "incremental_exports_per_minute": NO_LIMIT,
                          "search_exports_per_minute": NO_LIMIT},
        cronofy_settings={"requests_per_second": NO_LIMIT, "requests_per_minute": NO_LIMIT},
    )


def live_events(sims: SimulatorProcess, team: list[BenchAgent]) -> int:
    """Managed events held in all agents' calendars now."""
    total = 0
    for member in team:
        response = sims.cronofy.get(f"/_sandbox/calendars/{member.calendar_id}/events")
        response.raise_for_status()
        total += sum(1 for e in response.json()["events"] if not e.get("deleted"))
    return total


def open_task_count(history: History) -> int:
    """Open tasks with a due date after the whole history (what the calendars should hold)."""
    open_tasks = set(range(1, history.open_tasks + 1))
    for change in history.changes:
        if change.create or change.fields.get("type") == "task":
            open_tasks.add(change.ticket_id)
        elif change.fields.get("status") == "solved" or change.fields.get("type") == "question":
            open_tasks.discard(change.ticket_id)
    return len(open_tasks)


async def run_zdcal(
    sims: SimulatorProcess, work_dir: Path, team: list[BenchAgent], history: History,
    sweep_every: int, webhooks: bool,
) -> int:
    """Replay the history with zdcal: a sweep every ``sweep_every`` changes and, with
    ``webhooks``, a show_many per 1-second window of notified changes. Returns the
    number of events the calendars hold at the end."""
    async with await Runtime.open(zdcal_settings(work_dir, sims.cronofy_url)) as runtime:
        runtime.calendar_limiters["cronofy"] = unlimited_cronofy_limiter()
        account = await install(runtime, sims.zendesk_url, team)
        await sweep(runtime, account)  # backfill
        await sweep(runtime, account, sims)  # the export's first read after the backfill
        sims.reset_stats()
        # Changes arrive evenly: sweep_every of them per sweep interval.
        spacing = SWEEP_INTERVAL_SECONDS / sweep_every
        window: list[int] = []
        window_end = 0.0
        async with account_sync(runtime, account, SyncReport()) as sync:
            for number, change in enumerate(history.changes):
                arrival = number * spacing
                if webhooks and window and arrival >= window_end:
                    await sync.refresh(sorted(set(window)))
                    window = []
                apply_change(sims, change)
                # zdcal's trigger notifies changes of tasks (type is task, or type changed).
                if webhooks and change.touches_task:
                    if not window:
                        window_end = arrival + WEBHOOK_WINDOW_SECONDS
                    window.append(change.ticket_id)
                if (number + 1) % sweep_every == 0:
                    if window:
                        await sync.refresh(sorted(set(window)))
                        window = []
                    sims.advance_zendesk_clock(61)  # the export withholds the newest minute
                    await sync.sweep()
            if window:
                await sync.refresh(sorted(set(window)))
            sims.advance_zendesk_clock(61)
            await sync.sweep()
    return live_events(sims, team)


async def sweep(runtime: Runtime, account: Account, sims: SimulatorProcess | None = None) -> None:
    if sims is not None:
        sims.advance_zendesk_clock(61)
    async with account_sync(runtime, account, SyncReport()) as sync:
        await sync.sweep()


def run_baseline(
    sims: SimulatorProcess, team: list[BenchAgent], history: History, sample: int
) -> tuple[int, int]:
    """Replay the history with the seed strategy for the first ``sample`` agents; returns
    their Zendesk and Cronofy requests (counted by the simulators)."""
    clock = SimulatorClock()
    sampled = team[:sample]
    with zendesk_client(sims.zendesk_url) as zendesk:
        clients = [cronofy_client(sims.cronofy_url, a) for a in sampled]
        try:
            followers = [SeedStrategyAgent(a, zendesk, c) for a, c in zip(sampled, clients,
                                                                          strict=True)]
            for follower in followers:
                follower.on_change(clock.now())  # the initial sync: not counted
            sims.reset_stats()
            for change in history.changes:
                # Changes are spread in time, so a search (from the second after the
                # previous one) finds only the latest change: the fewest writes possible.
                clock.advance(sims, BASELINE_SECONDS_PER_CHANGE)
                for follower in followers:
                    follower.last_search = clock.now()
                apply_change(sims, change)
                for follower in followers:
                    follower.on_change(clock.now())
        finally:
            for client in clients:
                client.close()
    return sims.zendesk_requests(), sims.cronofy_requests()


class SimulatorClock:
    """Zendesk's simulated time as this process knows it: the machine clock plus what we
    advanced (the control API's clock offset)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, tz=UTC)

    def advance(self, sims: SimulatorProcess, seconds: float) -> None:
        sims.advance_zendesk_clock(seconds)
        self.offset += seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--task-share", type=float, default=0.05)
    parser.add_argument("--sweep-every", type=int, default=100)
    parser.add_argument("--sample-agents", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--quick", action="store_true", help="2,000 changes, 1 sampled agent")
    args = parser.parse_args(argv)
    if args.quick:
        args.changes, args.sample_agents = 2_000, 1
    team = agents(args.agents)
    history = build_history([a.zendesk_user_id for a in team], args.changes, args.task_share,
                            args.seed)
    expected_events = open_task_count(history)
    results: dict[str, Counts] = {}
    for webhooks in (False, True):
        with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
                SimulatorProcess(unlimited_world(team), Path(tmp)) as sims:
            seed_tickets(sims, history)
            events = asyncio.run(run_zdcal(sims, Path(tmp), team, history, args.sweep_every,
                                           webhooks))
            name = ("zdcal, sweeps + webhook show_many" if webhooks
                    else f"zdcal, a sweep every {args.sweep_every} changes")
            results[name] = Counts(sims.zendesk_requests(), sims.cronofy_requests(),
                                   f"calendars hold {events:,} events (expected "
                                   f"{expected_events:,})")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(unlimited_world(team), Path(tmp)) as sims:
        seed_tickets(sims, history)
        zendesk, cronofy = run_baseline(sims, team, history, args.sample_agents)
    scale = args.agents / args.sample_agents
    baseline = Counts(zendesk * scale, cronofy * scale,
                      f"measured {zendesk:,} + {cronofy:,} for {args.sample_agents} agents "
                      f"in {time.monotonic() - started:.0f} s, x{scale:g}")
    print_report(args, history, baseline, results)
    return 0


def print_report(
    args: argparse.Namespace, history: History, baseline: Counts, results: dict[str, Counts]
) -> None:
    kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(history.kinds().items()))
    print(f"API efficiency: {args.agents} connected agents, {len(history.changes):,} ticket "
          f"changes ({kinds}).")
    print(f"Starting tickets: {history.open_tasks:,} open tasks, {history.non_tasks:,} others; "
          "their first sync is not counted.")
    print("Rate limits lifted on both simulators and in zdcal's Cronofy pacing (we count "
          "requests, not time).")
    print(f"zdcal: one sweep (incremental export) every {args.sweep_every} changes, i.e. a "
          f"{SWEEP_INTERVAL_SECONDS} s sweep interval at {args.sweep_every} changes per "
          f"{SWEEP_INTERVAL_SECONDS} s;")
    print(f"  the webhook variant adds, per {WEBHOOK_WINDOW_SECONDS:g} s window of notified "
          "changes (changes arriving evenly at that rate; the trigger notifies changes to "
          "tasks), one show_many of the notified ids.")
    print(f"Baseline (seed write-up): run for {args.sample_agents} of {args.agents} agents and "
          "extrapolated linearly (every agent does the same searches and one write per "
          "ticket found).\n")
    rows: list[list[object]] = [["baseline (seed write-up)", count(baseline.zendesk),
                                 count(baseline.cronofy), "", "", baseline.note]]
    for name, counts in results.items():
        zendesk_ratio = baseline.zendesk / max(counts.zendesk, 1)
        calendar_ratio = baseline.cronofy / max(counts.cronofy, 1)
        rows.append([name, count(counts.zendesk), count(counts.cronofy),
                     f"{zendesk_ratio:,.0f}x", f"{calendar_ratio:,.0f}x", counts.note])
    print(table(["strategy", "Zendesk requests", "calendar requests", "Zendesk ratio",
                 "calendar ratio", "note"], rows))
    worst_zendesk = min(baseline.zendesk / max(c.zendesk, 1) for c in results.values())
    worst_calendar = min(baseline.cronofy / max(c.cronofy, 1) for c in results.values())
    print()
    print(verdict(f"calendar requests >= {TARGET_CALENDAR_RATIO}x fewer (worst variant "
                  f"{worst_calendar:,.0f}x)", worst_calendar >= TARGET_CALENDAR_RATIO))
    print(verdict(f"Zendesk requests >= {TARGET_ZENDESK_RATIO}x fewer (worst variant "
                  f"{worst_zendesk:,.0f}x)", worst_zendesk >= TARGET_ZENDESK_RATIO))


if __name__ == "__main__":
    sys.exit(main())
