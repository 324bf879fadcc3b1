"""Microsoft 365 backfill: the first sync of an account with TASKS open tasks over AGENTS
agents whose calendars are mailboxes of the Graph simulator, its throttling on at Graph's
published figures, LATENCY ms added to every HTTP request; wall time against the floor.

    python bench/ms_backfill.py [--tasks 10000] [--agents 200] [--latency-ms 50] [--quick]

Graph's limits per app and mailbox: 10,000 requests per 10 minutes, 4 requests at once
(a ``$batch`` of 20 is run four at a time; each inner request counts). With 50 tasks per
mailbox the 10-minute budget is never near: the floor is set by the requests a mailbox
must take one after another. The simulator adds its latency once per HTTP request (a
``$batch`` once, not per request inside it, ``zdcal.sandbox.vendor_gate``), so the inner
requests cost the simulator's own time: a bare client sending the fewest requests (one
create per event, in ``$batch``es of 20, one batch at a time per mailbox, every mailbox
at once) measures it, in the same run, after zdcal.
"""

from __future__ import annotations

import asyncio
import cProfile
import math
import pstats
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backfill import DUE_START, bare_reading, size_arguments, sized
from ms_population import (
    microsoft_link,
    microsoft_settings,
    microsoft_users,
    mint_links,
    zdcal_events,
)
from population import BenchAgent, CalendarLink, agents, install, scenario, zdcal_settings
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.calendars.microsoft.client import BATCH_MAX
from zdcal.calendars.microsoft.mailbox import CONCURRENT_REQUESTS
from zdcal.runtime import Runtime
from zdcal.sync.report import SyncReport

TARGET_RATIO = 1.2
REQUESTS_PER_10_MINUTES = 10_000  # per app and mailbox (the simulator's default too)


@dataclass
class Zdcal:
    """zdcal's backfill as the simulator saw it."""

    wall: float
    cpu: float
    batches: int
    inner: int
    inner_by_route: Counter[str]
    refused: int
    peak_concurrency: int
    max_mailbox_requests: int
    events: int


def mailbox_floor(events_per_mailbox: int, latency: float) -> float:
    """The fewest sequential HTTP requests one mailbox needs: one create per event, 20 to
    a ``$batch``, one batch at a time (a second would run more than 4 requests at once):
    one latency each."""
    return math.ceil(events_per_mailbox / BATCH_MAX) * latency


def per_agent(tasks: int, team: list[BenchAgent]) -> list[int]:
    return [tasks // len(team) + (1 if i < tasks % len(team) else 0) for i in range(len(team))]


async def bare_writing(microsoft_url: str, team: list[BenchAgent], tasks: int,
                       links: dict[str, CalendarLink]) -> tuple[float, int]:
    """Seconds a client that only writes needs to create ``tasks`` events spread like
    zdcal's: one POST per event in ``$batch``es of 20, one batch at a time per mailbox,
    every mailbox at once. Also how many inner requests Graph refused (then the time is
    no floor)."""
    refused = 0

    async def mailbox(http: httpx.AsyncClient, member: BenchAgent, n: int) -> None:
        nonlocal refused
        link = links[member.email.lower()]
        for start in range(0, n, BATCH_MAX):
            requests = [
                {"id": str(i), "method": "POST", "url": f"/me/calendars/{link.calendar_id}/events",
                 "headers": {"Content-Type": "application/json"},
                 "body": {"subject": f"Bare {member.index}-{start + i}",
                          "start": {"dateTime": "2031-01-06T09:00:00", "timeZone": "UTC"},
                          "end": {"dateTime": "2031-01-06T09:15:00", "timeZone": "UTC"}}}
                for i in range(min(BATCH_MAX, n - start))
            ]
            response = await http.post(
                "/v1.0/$batch", json={"requests": requests},
                headers={"Authorization": f"Bearer {link.tokens.access_token}"})
            response.raise_for_status()
            statuses = [r["status"] for r in response.json()["responses"]]
            if any(s not in (201, 429, 503) for s in statuses):
                raise RuntimeError(f"the bare writer got {sorted(set(statuses))}")
            refused += sum(s != 201 for s in statuses)

    limits = httpx.Limits(max_connections=len(team))
    async with httpx.AsyncClient(base_url=microsoft_url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(mailbox(http, m, n)
                               for m, n in zip(team, per_agent(tasks, team), strict=True)))
        return time.perf_counter() - started, refused


async def backfill(sims: SimulatorProcess, data_dir: Path, team: list[BenchAgent],
                   links: dict[str, CalendarLink], profile: bool = False) -> Zdcal:
    settings = microsoft_settings(zdcal_settings(data_dir, sims.cronofy_url), sims.microsoft_url)
    async with await Runtime.open(settings) as runtime:
        account = await install(runtime, sims.zendesk_url, team, microsoft_link(links))
        sims.microsoft.post("/_sandbox/stats/reset").raise_for_status()
        async with runtime.sync_session(account, SyncReport()) as sync:
            profiler = cProfile.Profile() if profile else None
            started, cpu_before = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            await sync.sweep()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
            if profiler:
                profiler.disable()
                profiled = pstats.Stats(profiler, stream=sys.stderr)
                profiled.sort_stats("tottime").print_stats(40)
                profiled.sort_stats("cumulative").print_stats("zdcal", 40)
    stats: dict[str, Any] = sims.microsoft.get("/_sandbox/stats").json()
    mailboxes: dict[str, dict[str, Any]] = stats["mailboxes"]
    inner_routes = Counter({route: n for route, n in stats["by_route"].items()
                            if "$batch" not in route})
    events = sum(len(zdcal_events(sims.microsoft, m.email)) for m in team)
    return Zdcal(
        wall, cpu, int(stats["by_route"].get("POST /v1.0/$batch", 0)),
        int(stats["batch_entries"]), inner_routes,
        sum(int(n) for status, n in stats["by_status"].items() if status in ("429", "503")),
        max((int(m.get("max_in_flight", 0)) for m in mailboxes.values()), default=0),
        max((int(m.get("requests", 0)) for m in mailboxes.values()), default=0),
        events,
    )


def main(argv: list[str] | None = None) -> int:
    parser = size_arguments(__doc__)
    parser.add_argument("--profile", action="store_true",
                        help="a cProfile of zdcal's sweep to stderr (slows it down)")
    args = sized(parser.parse_args(argv))
    latency = args.latency_ms / 1000
    team = agents(args.agents)
    world = scenario(team, faults={"zendesk": {"latency_ms": args.latency_ms},
                                   "microsoft": {"latency_ms": args.latency_ms}})
    world["microsoft"] = microsoft_users(team)
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(world, Path(tmp)) as sims:
        sims.bulk_tickets(args.tasks, type="task", status="open",
                          assignee_ids=[a.zendesk_user_id for a in team],
                          due_at_start=DUE_START, due_step_seconds=900)
        links = mint_links(sims.microsoft)
        reading = asyncio.run(bare_reading(sims.zendesk_url))
        zdcal = asyncio.run(backfill(sims, Path(tmp), team, links, args.profile))
        sims.microsoft.post("/_sandbox/stats/reset").raise_for_status()
        bare_cpu = time.process_time()
        written, bare_refused = asyncio.run(
            bare_writing(sims.microsoft_url, team, args.tasks, links))
        bare_cpu = time.process_time() - bare_cpu
    most = max(per_agent(args.tasks, team))
    arithmetic = mailbox_floor(most, latency)
    writing = arithmetic if bare_refused else max(arithmetic, written)
    floor = reading + writing
    minimal = args.tasks
    print(f"Microsoft 365 backfill: {args.tasks:,} open tasks over {args.agents} mailboxes "
          f"({most} at most per mailbox), fresh SQLite database, simulators in a separate "
          "process.")
    print(f"Graph's limits on in the simulator: {REQUESTS_PER_10_MINUTES:,} requests per 10 "
          f"minutes and {CONCURRENT_REQUESTS} at once per mailbox; $batch <= {BATCH_MAX}. "
          f"Latency {args.latency_ms:g} ms on every HTTP request (a $batch once), Zendesk's "
          "too. zdcal paces each mailbox itself (mailbox.py: the same figures).\n")
    print("Floor = reading + writing (every agent's tasks are spread over all pages, so the "
          "last events can be written only once the last page is read):")
    print(f"  reading = the time a bare client needs for the search export pages: "
          f"{reading:.2f} s")
    print(f"  writing = max(ceil({most} / {BATCH_MAX}) batches x {latency:g} s = "
          f"{arithmetic:.2f} s (one mailbox's batches in sequence; mailboxes in parallel), "
          f"a bare client creating {minimal:,} events so, {written:.2f} s"
          f"{' (refused: not a floor)' if bare_refused else ''}; its CPU {bare_cpu:.2f} s) "
          f"= {writing:.2f} s")
    print(f"  The 10-minute budget: {most * 2} requests at most per mailbox even at 2 per "
          f"event, {REQUESTS_PER_10_MINUTES:,} allowed: not a limit here (no time scaling "
          "needed).\n")
    ratio = zdcal.wall / floor
    rows: list[list[object]] = [
        ["events in the calendars", count(zdcal.events), count(args.tasks), ""],
        ["$batch HTTP requests", count(zdcal.batches),
         count(sum(math.ceil(n / BATCH_MAX) for n in per_agent(args.tasks, team))), ""],
        ["Graph requests (inside batches)", count(zdcal.inner), count(minimal), ""],
        ["Graph requests per event", f"{zdcal.inner / max(zdcal.events, 1):.2f}", "1.00", ""],
        ["most requests of one mailbox", count(zdcal.max_mailbox_requests), count(most),
         verdict(f"<= {REQUESTS_PER_10_MINUTES:,} / 10 min",
                 zdcal.max_mailbox_requests <= REQUESTS_PER_10_MINUTES)],
        ["peak requests at once in a mailbox", zdcal.peak_concurrency, CONCURRENT_REQUESTS, ""],
        ["requests refused (429/503)", count(zdcal.refused), count(bare_refused),
         verdict("0", zdcal.refused == 0)],
        ["zdcal CPU (s)", f"{zdcal.cpu:.2f}", "", ""],
        ["wall time (s)", f"{zdcal.wall:.2f}", f"{floor:.2f}",
         verdict(f"<= {TARGET_RATIO}x floor ({ratio:.2f}x)", ratio <= TARGET_RATIO)],
    ]
    print(table(["figure", "zdcal", "floor", "target"], rows))
    print("\nzdcal's Graph requests by route (inside $batch):")
    for route, n in sorted(zdcal.inner_by_route.items()):
        print(f"  {route:<60} {n:7,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
