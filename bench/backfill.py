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
from typing import Any

import httpx

from population import (
    ADMIN_EMAIL,
    ADMIN_TOKEN,
    BenchAgent,
    agents,
    install,
    scenario,
    zdcal_settings,
)
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.calendars.cronofy.client import BATCH_LIMIT
from zdcal.http.pacing import DEFAULT_MARGIN_SECONDS
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
    written: float = 0.0
    """Measured: how long a bare client sending the minimal batches at exactly the limits'
    pace waits for the last answer (the calendar service's own time included)."""

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
        return max(max(per_second, per_minute, 0.0) + self.latency, self.written)

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


async def bare_writing(cronofy_url: str, team: list[BenchAgent], tasks: int) -> tuple[float, int]:
    """Seconds a client that only writes needs to send the minimal batches at the limits'
    pace (50 requests at once per window, windows 1 s + the same slack zdcal's limiter
    keeps apart): the writing floor with
    the calendar service's own time included. The batches re-send the events zdcal wrote
    (idempotent upserts), so the calendars are unchanged. Also returns how many were
    refused (429) and sent again in a later window: the simulator may count one window's
    requests more than the slack apart from the next window's."""
    per_agent = [tasks // len(team) + (1 if i < tasks % len(team) else 0)
                 for i in range(len(team))]
    requests: list[tuple[BenchAgent, list[dict[str, object]]]] = []
    async with httpx.AsyncClient(base_url=cronofy_url, timeout=60,
                                 limits=httpx.Limits(max_connections=CRONOFY_PER_SECOND)) as http:
        for member, count_of in zip(team, per_agent, strict=True):
            events = (await http.get(f"/_sandbox/calendars/{member.calendar_id}/events")).json()
            bodies = [e["sent"] for e in events["events"] if not e.get("deleted")][:count_of]
            for start in range(0, len(bodies), BATCH_LIMIT):
                entries = [{"method": "POST",
                            "relative_url": f"/v1/calendars/{member.calendar_id}/events",
                            "data": body} for body in bodies[start:start + BATCH_LIMIT]]
                requests.append((member, entries))
        started = time.perf_counter()
        refused = 0
        window = 0
        while requests:
            # The windows' own slack: a server counts a request when it gets to it, so
            # exactly 1.0 s apart gets the next window's first requests refused.
            opens = started + window * (1.0 + DEFAULT_MARGIN_SECONDS)
            await asyncio.sleep(max(0.0, opens - time.perf_counter()))
            sent, requests = requests[:CRONOFY_PER_SECOND], requests[CRONOFY_PER_SECOND:]
            responses = await asyncio.gather(*(
                http.post("/v1/batch", json={"batch": entries},
                          headers={"Authorization": f"Bearer {member.access_token}"})
                for member, entries in sent
            ))
            statuses = [r.status_code for r in responses]
            if any(status not in (207, 429) for status in statuses):
                raise RuntimeError(f"the bare writer got {sorted(set(statuses))}")
            again = [request for request, status in zip(sent, statuses, strict=True)
                     if status == 429]
            refused += len(again)
            requests = again + requests
            window += 1
        return time.perf_counter() - started, refused


async def backfill(
    sims: SimulatorProcess, data_dir: Path, tasks: int, agent_count: int
) -> tuple[float, float, float, tuple[float, int], dict[str, Any], dict[str, Any]]:
    """Returns the wall time of the backfill, the time its last page arrived, the times a
    bare client needs to read the same pages and to write the minimal batches (with how
    many of those it had refused), and the simulators' request counts for zdcal's
    backfill alone."""
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
    zendesk, cronofy = sims.zendesk_stats(), sims.cronofy_stats()  # zdcal's requests only
    await asyncio.sleep(61)  # let the minute window of zdcal's own writes pass
    written = await bare_writing(sims.cronofy_url, team, tasks)
    return wall, last_page, served, written, zendesk, cronofy


def size_arguments(doc: str) -> argparse.ArgumentParser:
    """The command line this script shares with ``ms_backfill.py``: how many tasks over how
    many agents (``--quick``: 2,000 over 40), and the latency."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--quick", action="store_true", help="2,000 tasks over 40 agents")
    return parser


def sized(args: argparse.Namespace) -> argparse.Namespace:
    if args.quick:
        args.tasks, args.agents = 2_000, 40
    return args


def main(argv: list[str] | None = None) -> int:
    args = sized(size_arguments(__doc__).parse_args(argv))
    latency = args.latency_ms / 1000
    world = scenario(agents(args.agents), faults={"zendesk": {"latency_ms": args.latency_ms},
                                                  "cronofy": {"latency_ms": args.latency_ms}})
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(world, Path(tmp)) as sims:
        wall, reading, served, (written, bare_refused), zendesk, cronofy = asyncio.run(
            backfill(sims, Path(tmp), args.tasks, args.agents)
        )
        events = sum(
            sum(1 for e in sims.cronofy.get(f"/_sandbox/calendars/{a.calendar_id}/events")
                .json()["events"] if not e.get("deleted"))
            for a in agents(args.agents)
        )
    # A bare writer that was refused waited for its re-sends: that is no floor, so the
    # writing part falls back to the limits' arithmetic (a stricter floor).
    floor = Floor(*minimal_requests(args.tasks, args.agents), latency, served,
                  0.0 if bare_refused else written)
    limits_only = Floor(*minimal_requests(args.tasks, args.agents), latency)
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
          f"ceil(tasks/{BATCH_LIMIT}) = {floor.cronofy_requests}; at least the {written:.2f} s "
          f"a bare client sending exactly those batches at the limits' pace waits "
          f"-> {floor.writing:.2f} s")
    if bare_refused:
        print(f"  (the bare client had {bare_refused} batches refused and sent them again a "
              f"window later, taking {written:.2f} s: not a floor, so writing is the limits' "
              f"arithmetic alone, {floor.writing:.2f} s)")
    print(f"  (the limits alone, without the services' own time: {limits_only.total:.2f} s; "
          f"zdcal's wall time is {wall / limits_only.total:.2f}x that)\n")
    ratio = wall / floor.total
    rows: list[list[object]] = [
        ["events in the calendars", count(events), count(args.tasks), ""],
        ["Zendesk requests", count(zendesk["total"]), count(floor.zendesk_requests), ""],
        ["Cronofy requests", count(cronofy["requests"]), count(floor.cronofy_requests), ""],
        ["requests refused (429)", count(refused), count(bare_refused), ""],
        ["reading done after (s)", f"{reading:.2f}", f"{floor.reading:.2f}", ""],
        ["wall time (s)", f"{wall:.2f}", f"{floor.total:.2f}",
         verdict(f"<= {TARGET_RATIO}x floor ({ratio:.2f}x)", ratio <= TARGET_RATIO)],
    ]
    print(table(["figure", "zdcal", "floor", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
