"""Google backfill: the first sync of an account with TASKS open tasks over AGENTS agents
whose calendars are in the Google Calendar simulator, its quotas on, LATENCY ms added to
every HTTP request; wall time against the floor, for several batch sizes.

    python bench/google_backfill.py [--tasks 10000] [--agents 200] [--latency-ms 50]
                                    [--batch-sizes 10,50,100,200] [--quota-scale 1] [--quick]

Per batch size, the Google simulator is reset (fresh calendars, quota windows and
counters), zdcal gets a fresh SQLite database and does one sweep (``sync_session``, its
own pacing at the same quotas); then a bare client writes the same number of events in
batches of the same size, with zdcal's concurrency (32 agents at a time, each agent's
batches in sequence), on fresh calendars: the service's own time for those calls. The
batch size is set by assigning ``zdcal.calendars.google.backend.BATCH_SIZE`` in this
process (read by ``GoogleAgentCalendar.apply`` at each call): no product setting exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import zdcal.calendars.google.backend as google_backend
from backfill import DUE_START, bare_reading
from google_population import add_users, google_link, google_settings
from population import BenchAgent, agents, install, scenario, zdcal_settings
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.http.pacing import DEFAULT_MARGIN_SECONDS
from zdcal.runtime import Runtime
from zdcal.sandbox.google import assumptions
from zdcal.sync.report import SyncReport

TARGET_RATIO = 1.2
SHIPPED_BATCH_SIZE = google_backend.BATCH_SIZE
WINDOW_SECONDS = 60.0  # Google's quotas are per minute (the simulator: sliding windows)
AGENT_CONCURRENCY = 32  # AccountSync's default agent_concurrency
BATCH_PATH = "/batch/calendar/v3"


@dataclass
class Run:
    """One batch size: zdcal's backfill and the bare client's writes, with their counts."""

    batch_size: int
    wall: float
    cpu: float
    """CPU seconds of this process (zdcal's engine) during the sweep."""
    calls: int
    """Calendar API calls Google counted (each call inside a batch is one)."""
    http_requests: int
    max_user_calls: int
    refused: int
    events: int
    bare_write: float
    bare_refused: int

    def floor(self, reading: float, per_user: int, per_project: int, latency: float) -> float:
        """reading + max(the quotas' sliding-window arithmetic, the bare writer's time)."""
        return reading + max(quota_floor(self.calls, self.max_user_calls, per_user,
                                         per_project) + latency, self.bare_write)


def quota_floor(calls: int, max_user_calls: int, per_user: int, per_project: int) -> float:
    """The least time sliding one-minute windows allow: call n + quota may start one
    window after call n (a full window's quota may go at once)."""
    return max((math.ceil(calls / per_project) - 1) * WINDOW_SECONDS,
               (math.ceil(max_user_calls / per_user) - 1) * WINDOW_SECONDS, 0.0)


def rate_floor(calls: int, max_user_calls: int, per_user: int, per_project: int) -> float:
    """The issue's reading of the quotas as steady rates: calls / rate."""
    return max(calls / per_project, max_user_calls / per_user) * WINDOW_SECONDS


def google_event_id(n: int) -> str:
    """A base32hex id Google accepts (the bare client's own scheme, not zdcal's)."""
    return f"bare{n:08d}"


def batch_body(calls: list[tuple[str, str, dict[str, Any]]]) -> tuple[bytes, str]:
    """Google's multipart/mixed batch, written out independently of zdcal's encoder."""
    boundary = "bare_" + secrets.token_hex(8)
    parts = []
    for i, (method, path, body) in enumerate(calls):
        payload = json.dumps(body)
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <b{i}>\r\n\r\n"
            f"{method} {path} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{payload}\r\n"
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/mixed; boundary={boundary}"


async def bare_writing(google_url: str, team: list[BenchAgent], tasks: int,
                       tokens: dict[str, str], batch_size: int) -> tuple[float, int]:
    """Seconds a client that only writes needs to insert ``tasks`` events spread like
    zdcal's, in batches of ``batch_size``, ``AGENT_CONCURRENCY`` agents at a time; and how
    many calls Google refused (then the time is no floor)."""
    per_agent = [tasks // len(team) + (1 if i < tasks % len(team) else 0)
                 for i in range(len(team))]
    slots = asyncio.Semaphore(AGENT_CONCURRENCY)
    refused = 0
    counter = 0

    async def agent_writes(http: httpx.AsyncClient, member: BenchAgent, n: int) -> None:
        nonlocal refused, counter
        async with slots:
            for start in range(0, n, batch_size):
                calls = []
                for _ in range(min(batch_size, n - start)):
                    counter += 1
                    calls.append(("POST", f"/calendar/v3/calendars/{member.email}/events",
                                  {"id": google_event_id(counter), "summary": f"Task {counter}",
                                   "start": {"date": "2031-01-06"},
                                   "end": {"date": "2031-01-07"}}))
                content, content_type = batch_body(calls)
                response = await http.post(BATCH_PATH, content=content, headers={
                    "Content-Type": content_type,
                    "Authorization": f"Bearer {tokens[member.email]}"})
                response.raise_for_status()
                refused += response.text.count("HTTP/1.1 429") + response.text.count(
                    "HTTP/1.1 403")

    limits = httpx.Limits(max_connections=AGENT_CONCURRENCY)
    async with httpx.AsyncClient(base_url=google_url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(agent_writes(http, m, n)
                               for m, n in zip(team, per_agent, strict=True)))
        return time.perf_counter() - started, refused


def fresh_google(sims: SimulatorProcess, team: list[BenchAgent], per_user: int,
                 per_project: int) -> dict[str, Any]:
    """Reset the Google simulator (calendars, quota windows, counters), set its quotas and
    add the agents; their token pairs."""
    sims.google.post("/_sandbox/reset").raise_for_status()
    sims.google.put("/_sandbox/quotas", json={
        "requests_per_minute_per_user": per_user,
        "requests_per_minute_per_project": per_project,
    }).raise_for_status()
    return add_users(sims.google, team)


async def one_size(sims: SimulatorProcess, work: Path, team: list[BenchAgent], tasks: int,
                   batch_size: int, per_user: int, per_project: int) -> Run:
    tokens = fresh_google(sims, team, per_user, per_project)
    google_backend.BATCH_SIZE = batch_size
    data_dir = work / f"batch-{batch_size}"
    data_dir.mkdir(parents=True)
    settings = google_settings(zdcal_settings(data_dir, sims.cronofy_url), sims.google_url,
                               per_user=per_user, per_project=per_project)
    async with await Runtime.open(settings) as runtime:
        account = await install(runtime, sims.zendesk_url, team, google_link(tokens))
        sims.google.post("/_sandbox/stats/reset").raise_for_status()
        async with runtime.sync_session(account, SyncReport()) as sync:
            started, cpu_before = time.perf_counter(), time.process_time()
            await sync.sweep()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    stats = sims.google.get("/_sandbox/stats").json()
    events = sum(
        sum(1 for e in sims.google.get(f"/_sandbox/calendars/{m.email}/events").json()["items"]
            if e.get("status") != "cancelled")
        for m in team
    )
    by_user: dict[str, int] = stats["by_user"]
    # A fresh simulator for the bare writer: its calls start with full quota windows too.
    bare_tokens = fresh_google(sims, team, per_user, per_project)
    bare_write, bare_refused = await bare_writing(
        sims.google_url, team, tasks, {e: t.access_token for e, t in bare_tokens.items()},
        batch_size,
    )
    return Run(batch_size, wall, cpu, sum(by_user.values()), int(stats["requests"]),
               max(by_user.values(), default=0), sum(stats["quota_refused"].values()),
               events, bare_write, bare_refused)


async def measure(sims: SimulatorProcess, work: Path, tasks: int, agent_count: int,
                  sizes: list[int], repeat: int, per_user: int,
                  per_project: int) -> tuple[float, list[Run]]:
    """Every size ``repeat`` times, the sizes taken in turn in each round (the machine's
    load then weighs on every size alike)."""
    team = agents(agent_count)
    sims.bulk_tickets(tasks, type="task", status="open",
                      assignee_ids=[a.zendesk_user_id for a in team],
                      due_at_start=DUE_START, due_step_seconds=900)
    reading = await bare_reading(sims.zendesk_url)
    runs = []
    for round_no in range(repeat):
        for size in sizes:
            runs.append(await one_size(sims, work / f"round-{round_no}", team, tasks, size,
                                       per_user, per_project))
            print(f"  round {round_no + 1}, batch size {size}: zdcal {runs[-1].wall:.2f} s, "
                  f"bare {runs[-1].bare_write:.2f} s", file=sys.stderr, flush=True)
    return reading, runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--batch-sizes", default="10,50,100,200")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds over the sizes; the table shows medians")
    parser.add_argument("--quota-scale", type=float, default=1.0,
                        help="divide both per-minute quotas by this (zdcal paces at the same)")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 tasks over 40 agents, batch sizes 10 and 50")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    if args.quick:
        args.tasks, args.agents, sizes = 2_000, 40, [10, 50]
    per_user = max(1, round(assumptions.REQUESTS_PER_MINUTE_PER_USER / args.quota_scale))
    per_project = max(1, round(assumptions.REQUESTS_PER_MINUTE_PER_PROJECT / args.quota_scale))
    latency = args.latency_ms / 1000
    faults = {"zendesk": {"latency_ms": args.latency_ms},
              "google": {"latency_ms": args.latency_ms}}
    world = scenario(agents(args.agents), faults=faults)
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(world, Path(tmp)) as sims:
        reading, runs = asyncio.run(measure(sims, Path(tmp), args.tasks, args.agents, sizes,
                                            args.repeat, per_user, per_project))
    print(f"Google backfill: {args.tasks:,} open tasks over {args.agents} agents, fresh SQLite "
          "database per batch size, simulators in a separate process.")
    print(f"Quotas on in the Google simulator (sliding one-minute windows): {per_user}/min per "
          f"user, {per_project}/min per project (Google's published 600 and 10,000"
          f"{f', divided by {args.quota_scale:g}' if args.quota_scale != 1 else ''}); zdcal "
          f"paces at the same figures (+{DEFAULT_MARGIN_SECONDS:g} s slack per window). "
          f"Latency {args.latency_ms:g} ms on every HTTP request (a batch once, not per call "
          "inside), Zendesk's too.\n")
    print("Floor = reading + writing (every agent's tasks are spread over all pages, so the "
          "writes start once the last page is read):")
    print(f"  reading = the time a bare client needs for the search export pages: "
          f"{reading:.2f} s")
    print("  writing = max((ceil(calls / per_project) - 1) x 60 s, (ceil(max calls of one "
          "user / per_user) - 1) x 60 s) + latency, and the time a bare client takes to "
          "insert as many events in batches of the same size with zdcal's concurrency "
          f"({AGENT_CONCURRENCY} agents at once), on fresh calendars and quota windows.")
    print("  (The issue's rate reading, calls / rate, is printed apart: a fresh minute holds a "
          "whole window's quota at once, so it is no floor.)\n")
    rows: list[list[object]] = []
    for size in sizes:
        of_size = [r for r in runs if r.batch_size == size]
        first = of_size[0]
        floors = [r.floor(reading, per_user, per_project, latency) for r in of_size]
        ratios = [r.wall / f for r, f in zip(of_size, floors, strict=True)]
        ratio = statistics.median(ratios)
        wall = statistics.median(r.wall for r in of_size)
        rows.append([
            size, count(min(r.events for r in of_size)), count(first.calls),
            count(first.http_requests), f"{first.calls / max(first.events, 1):.3f}",
            count(sum(r.refused for r in of_size)),
            f"{wall:.2f}", f"{statistics.median(r.cpu for r in of_size):.2f}",
            f"{statistics.median(floors):.2f}",
            f"{rate_floor(first.calls, first.max_user_calls, per_user, per_project):.1f}",
            f"{args.tasks / wall:,.0f}",
            f"{statistics.median(r.bare_write for r in of_size):.2f}"
            f"{' (refused)' if any(r.bare_refused for r in of_size) else ''}",
            f"{min(ratios):.2f}-{max(ratios):.2f}",
            verdict(f"{ratio:.2f}x", ratio <= TARGET_RATIO),
        ])
    print(f"{args.repeat} round(s); medians over the rounds, the ratio being the median of "
          "each run's zdcal / floor.")
    print(table(["batch size", "events", "calls", "HTTP requests", "calls/event", "refused",
                 "zdcal (s)", "zdcal CPU (s)", "floor (s)", "rate reading (s)", "events/s",
                 "bare write (s)", "ratio range", f"<= {TARGET_RATIO}x floor"], rows))
    print(f"\nThe product's batch size: {SHIPPED_BATCH_SIZE} "
          "(zdcal.calendars.google.backend.BATCH_SIZE; each run above set its own).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
