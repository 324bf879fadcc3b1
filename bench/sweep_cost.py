"""Sweep cost: CPU per ticket and memory of zdcal's process over a huge incremental export.

The account is backfilled while empty; then the Zendesk simulator (a separate process)
gets TICKETS new tickets, about 5% of them open tasks with a due date spread over AGENTS
connected agents, the rest non-task tickets assigned to the same agents. One sweep then
reads the whole incremental export (1,000 tickets a page), mirrors the tasks and writes
their events (Cronofy batches of 50). CPU is our process only (time.process_time); RSS
is sampled after every page.

    python bench/sweep_cost.py [--tickets 1000000] [--agents 300] [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from population import agents, install, scenario, zdcal_settings
from process_usage import cpu_seconds, peak_rss_mb, rss_mb
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.runtime import Runtime
from zdcal.sync.report import SyncReport
from zdcal.zendesk.models import IncrementalPage, SearchExportPage
from zdcal_session import account_sync, unlimited_cronofy_limiter

TARGET_CPU_MICROSECONDS = 50.0
TARGET_RSS_MB = 150.0
TASK_SHARE = 0.05
ROUNDS = 20  # tasks and non-tasks are created interleaved, so tasks come on many pages
NO_LIMIT = 1_000_000_000
DUE_START = "2031-01-06T09:00:00Z"


@dataclass
class SweepTrace:
    """CPU and RSS after each export page."""

    expected: int
    started_cpu: float = 0.0
    tickets: int = 0
    pages: int = 0
    samples: list[tuple[int, float, float]] = field(default_factory=list)  # tickets, cpu, rss

    def on_page(self, page: IncrementalPage | SearchExportPage) -> None:
        # The page is observed before it is applied: the sample shows the previous pages'
        # work plus this page's HTTP and parsing.
        self.tickets += len(page.tickets)
        self.pages += 1
        self.samples.append((self.tickets, cpu_seconds() - self.started_cpu, rss_mb()))

    def at_share(self, share: float) -> tuple[int, float, float]:
        """The first sample at or past ``share`` of the expected tickets."""
        wanted = share * self.expected
        return next((s for s in self.samples if s[0] >= wanted), self.samples[-1])


def populate(
    sims: SimulatorProcess, tickets: int, task_share: float, agent_ids: list[int]
) -> int:
    """Create the tickets in rounds of tasks and non-tasks; returns how many are tasks."""
    tasks = round(tickets * task_share)
    made_tasks = 0
    for number in range(ROUNDS):
        # The simulator assigns round-robin from the list's start: rotate it every round
        # so that every agent gets tasks.
        shift = number * len(agent_ids) // ROUNDS
        agent_ids = agent_ids[shift:] + agent_ids[:shift]
        round_tasks = tasks * (number + 1) // ROUNDS - tasks * number // ROUNDS
        round_all = tickets * (number + 1) // ROUNDS - tickets * number // ROUNDS
        if round_tasks:
            sims.bulk_tickets(round_tasks, type="task", status="open", assignee_ids=agent_ids,
                              due_at_start=DUE_START, due_step_seconds=900)
            made_tasks += round_tasks
        others = round_all - round_tasks
        for offset, kind in enumerate(("incident", "question")):
            share = others // 2 + (others % 2 if offset == 0 else 0)
            sims.bulk_tickets(share, type=kind, status="open", assignee_ids=agent_ids)
    return made_tasks


async def sweep(
    sims: SimulatorProcess,
    data_dir: Path,
    tickets: int,
    task_share: float,
    agent_count: int,
    profile: bool,
) -> tuple[SweepTrace, SyncReport, float, float, int]:
    team = agents(agent_count)
    settings = zdcal_settings(data_dir, sims.cronofy_url)
    async with await Runtime.open(settings) as runtime:
        runtime.calendar_limiters["cronofy"] = unlimited_cronofy_limiter()
        account = await install(runtime, sims.zendesk_url, team)
        async with account_sync(runtime, account, SyncReport()) as sync:
            await sync.sweep()  # the backfill of an empty account
        tasks = populate(sims, tickets, task_share, [a.zendesk_user_id for a in team])
        sims.advance_zendesk_clock(61)  # the export withholds the newest minute
        trace, report = SweepTrace(expected=tickets), SyncReport()
        profiler = cProfile.Profile() if profile else None
        async with account_sync(runtime, account, report, on_page=trace.on_page) as sync:
            trace.started_cpu = cpu_seconds()
            wall = time.perf_counter()
            if profiler:
                profiler.enable()
            await sync.sweep()
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - wall
            cpu = cpu_seconds() - trace.started_cpu
            trace.samples.append((trace.tickets, cpu, rss_mb()))  # after the last apply
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.dump_stats(str(Path(tempfile.gettempdir()) / "zdcal-sweep.prof"))
    return trace, report, cpu, wall, tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--task-share", type=float, default=TASK_SHARE)
    parser.add_argument("--quick", action="store_true", help="100,000 tickets")
    parser.add_argument("--profile", action="store_true", help="cProfile the sweep (stderr)")
    args = parser.parse_args(argv)
    tickets = 100_000 if args.quick else args.tickets
    limits = {"incremental_exports_per_minute": NO_LIMIT, "requests_per_minute": NO_LIMIT}
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp:
        world = scenario(
            agents(args.agents), zendesk_settings=limits,
            cronofy_settings={"requests_per_second": NO_LIMIT, "requests_per_minute": NO_LIMIT},
        )
        rss_before = rss_mb()
        with SimulatorProcess(world, Path(tmp)) as sims:
            trace, report, cpu, wall, tasks = asyncio.run(
                sweep(sims, Path(tmp), tickets, args.task_share, args.agents, args.profile)
            )
            cronofy_requests = sims.cronofy_requests()
    per_ticket = cpu / trace.tickets * 1e6
    # The process's true peak (ru_maxrss) also covers setup, so it bounds the sweep's peak.
    peak = max(peak_rss_mb(), *(s[2] for s in trace.samples))
    print(f"Sweep cost: one sweep over an incremental export of {count(trace.tickets)} tickets "
          f"({count(trace.pages)} pages), {count(tasks)} open tasks over {args.agents} agents")
    print("Simulators in a separate process; Zendesk's export limit (10/min) and account limit, "
          "Cronofy's limits and zdcal's Cronofy pacing all lifted: CPU and memory are measured, "
          "not time. Fresh SQLite database.\n")
    rows: list[list[object]] = [
        ["tickets read", count(trace.tickets), ""],
        ["events written", count(report.events_created + report.events_updated), ""],
        ["Cronofy requests (batches of <=50)", count(cronofy_requests), ""],
        ["wall time (s)", f"{wall:.1f}", ""],
        ["CPU of zdcal's process (s)", f"{cpu:.1f}", ""],
        ["CPU per ticket (us)", f"{per_ticket:.1f}",
         verdict(f"<= {TARGET_CPU_MICROSECONDS:.0f}", per_ticket <= TARGET_CPU_MICROSECONDS)],
        ["RSS before start (MiB)", f"{rss_before:.0f}", ""],
    ]
    for share in (0.1, 0.5, 1.0):
        seen, _, rss = trace.at_share(share)
        rows.append([f"RSS at {share:.0%} ({count(seen)} tickets) (MiB)", f"{rss:.0f}", ""])
    rows.append(["RSS peak sampled per page (MiB)", f"{max(s[2] for s in trace.samples):.0f}", ""])
    rows.append(["peak RSS of the process, ru_maxrss (MiB)", f"{peak:.0f}",
                 verdict(f"< {TARGET_RSS_MB:.0f}", peak < TARGET_RSS_MB)])
    print(table(["figure", "value", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
