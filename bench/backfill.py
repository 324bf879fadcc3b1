"""Backfill: the first sync of an account with TASKS open tasks over AGENTS agents, with
the simulators enforcing the real rate limits and adding LATENCY ms to every API request;
wall time against the floor those limits allow.

    python bench/backfill.py [--tasks 10000] [--agents 200] [--latency-ms 50] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from population import ADMIN_EMAIL, ADMIN_TOKEN, agents, install, scenario, zdcal_settings
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.calendars.cronofy.client import BATCH_LIMIT
from zdcal.runtime import Runtime
from zdcal.sync.report import SyncReport
from zdcal.zendesk.models import IncrementalPage, SearchExportPage
from zdcal_session import account_sync

TARGET_RATIO = 1.2
SEARCH_EXPORT_PAGE = 1000  # the largest page[size] Zendesk allows
# The real limits, as the simulators enforce them by default.
ZENDESK_ACCOUNT_PER_MINUTE = 700
ZENDESK_SEARCH_EXPORT_PER_MINUTE = 100
CRONOFY_PER_SECOND = 50
CRONOFY_PER_MINUTE = 500
DUE_START = "2031-01-06T09:00:00Z"


@dataclass
class Floor:
    """The least wall time the limits allow, and its parts (seconds)."""

    zendesk_requests: int
    cronofy_requests: int
    latency: float
    served: float = 0.0
    """Measured: how long Zendesk (the simulator) takes to serve the pages to a bare client
    that does nothing with them. The server's own time is not ours to remove."""

    @property
    def reading(self) -> float:
        # Export pages are chained by cursor: one after another, one latency each, plus
        # waits when the pages outnumber what a minute allows.
        waits = max(
            math.ceil(self.zendesk_requests / ZENDESK_SEARCH_EXPORT_PER_MINUTE),
            math.ceil(self.zendesk_requests / ZENDESK_ACCOUNT_PER_MINUTE),
        ) - 1
        return max(self.zendesk_requests * self.latency, self.served) + waits * 60.0

    @property
    def writing(self) -> float:
        # Sliding windows: request n+50 may start 1 s after request n, and n+500 60 s
        # after n; the last request then takes one latency.
        per_second = (math.ceil(self.cronofy_requests / CRONOFY_PER_SECOND) - 1) * 1.0
        per_minute = (math.ceil(self.cronofy_requests / CRONOFY_PER_MINUTE) - 1) * 60.0
        return max(per_second, per_minute, 0.0) + self.latency

    @property
    def total(self) -> float:
        return self.reading + self.writing


def minimal_requests(tasks: int, agent_count: int) -> tuple[int, int]:
    """Zendesk: full search export pages. Cronofy: full batches per agent."""
    zendesk = math.ceil(tasks / SEARCH_EXPORT_PAGE)
    per_agent = [tasks // agent_count + (1 if i < tasks % agent_count else 0)
                 for i in range(agent_count)]
    cronofy = sum(math.ceil(n / BATCH_LIMIT) for n in per_agent)
    return zendesk, cronofy


async def bare_reading(zendesk_url: str) -> float:
    """Seconds a client that only reads needs for every search export page."""
    params: dict[str, str | int] = {"query": "ticket_type:task status<solved",
                                    "filter[type]": "ticket", "page[size]": SEARCH_EXPORT_PAGE}
    async with httpx.AsyncClient(base_url=zendesk_url, timeout=60,
                                 auth=(f"{ADMIN_EMAIL}/token", ADMIN_TOKEN)) as http:
        started = time.perf_counter()
        while True:
            response = await http.get("/api/v2/search/export", params=params)
            response.raise_for_status()
            meta = response.json()["meta"]
            if not meta.get("has_more"):
                return time.perf_counter() - started
            params["page[after]"] = meta["after_cursor"]


async def backfill(
    sims: SimulatorProcess, data_dir: Path, tasks: int, agent_count: int
) -> tuple[float, float, float, SyncReport]:
    """Returns the wall time of the backfill, the time its last page arrived, the time a
    bare client needs to read the same pages, and the report."""
    team = agents(agent_count)
    sims.bulk_tickets(tasks, type="task", status="open",
                      assignee_ids=[a.zendesk_user_id for a in team],
                      due_at_start=DUE_START, due_step_seconds=900)
    report = SyncReport()
    last_page = 0.0
    started = 0.0

    def on_page(page: IncrementalPage | SearchExportPage) -> None:
        nonlocal last_page
        last_page = time.perf_counter() - started

    served = await bare_reading(sims.zendesk_url)
    async with await Runtime.open(zdcal_settings(data_dir, sims.cronofy_url)) as runtime:
        account = await install(runtime, sims.zendesk_url, team)
        sims.reset_stats()
        async with account_sync(runtime, account, report, on_page=on_page) as sync:
            started = time.perf_counter()
            await sync.sweep()
            wall = time.perf_counter() - started
    return wall, last_page, served, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--quick", action="store_true", help="2,000 tasks over 40 agents")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.agents = 2_000, 40
    latency = args.latency_ms / 1000
    world = scenario(agents(args.agents), faults={"zendesk": {"latency_ms": args.latency_ms},
                                                  "cronofy": {"latency_ms": args.latency_ms}})
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(world, Path(tmp)) as sims:
        wall, reading, served, _ = asyncio.run(
            backfill(sims, Path(tmp), args.tasks, args.agents)
        )
        zendesk, cronofy = sims.zendesk_stats(), sims.cronofy_stats()
        events = sum(
            sum(1 for e in sims.cronofy.get(f"/_sandbox/calendars/{a.calendar_id}/events")
                .json()["events"] if not e.get("deleted"))
            for a in agents(args.agents)
        )
    floor = Floor(*minimal_requests(args.tasks, args.agents), latency, served)
    refused = int(zendesk["by_status"].get("429", 0)) + int(cronofy["by_status"].get("429", 0))
    print(f"Backfill: {args.tasks:,} open tasks over {args.agents} agents, fresh SQLite "
          "database, simulators in a separate process.")
    print(f"Real limits enforced by the simulators: Zendesk {ZENDESK_ACCOUNT_PER_MINUTE}/min "
          f"per account and search export {ZENDESK_SEARCH_EXPORT_PER_MINUTE}/min; Cronofy "
          f"{CRONOFY_PER_SECOND}/s and {CRONOFY_PER_MINUTE}/min (sliding windows). "
          f"Simulated latency {args.latency_ms:g} ms on every API request of both.")
    print("zdcal paces Cronofy itself (its application-wide limiter, real limits).\n")
    print("Floor = reading + writing, in sequence: every agent's tasks are spread over all "
          "pages (search order), so a full batch of 50 exists only once the last page is read.")
    print(f"  reading = max(pages x latency, time Zendesk takes to serve them to a bare "
          f"client) + minute waits = max({floor.zendesk_requests} x {latency:g} s, "
          f"{served:.2f} s measured) + 0 = {floor.reading:.2f} s  "
          f"(pages = ceil(tasks / {SEARCH_EXPORT_PAGE}); chained by cursor)")
    print(f"  writing = max((ceil(R/{CRONOFY_PER_SECOND}) - 1) x 1 s, "
          f"(ceil(R/{CRONOFY_PER_MINUTE}) - 1) x 60 s) + latency, R = sum over agents of "
          f"ceil(tasks/{BATCH_LIMIT}) = {floor.cronofy_requests} -> {floor.writing:.2f} s\n")
    ratio = wall / floor.total
    rows: list[list[object]] = [
        ["events in the calendars", count(events), count(args.tasks), ""],
        ["Zendesk requests", count(zendesk["total"]), count(floor.zendesk_requests), ""],
        ["Cronofy requests", count(cronofy["requests"]), count(floor.cronofy_requests), ""],
        ["requests refused (429)", count(refused), "0", ""],
        ["reading done after (s)", f"{reading:.2f}", f"{floor.reading:.2f}", ""],
        ["wall time (s)", f"{wall:.2f}", f"{floor.total:.2f}",
         verdict(f"<= {TARGET_RATIO}x floor ({ratio:.2f}x)", ratio <= TARGET_RATIO)],
    ]
    print(table(["figure", "zdcal", "floor", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
