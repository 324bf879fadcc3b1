"""CalDAV: the first sync (backfill) of TASKS open tasks over AGENTS agents into a real
Radicale, against a bare client PUTting the same objects; then the cost of one polling
round over the agents with nothing changed.

    python bench/caldav_sync.py [--tasks 2000] [--agents 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from population import ADMIN_EMAIL, BenchAgent, agents, scenario, zdcal_settings
from report_table import count, table, verdict
from simulators import SimulatorProcess
from zdcal.calendars.caldav.client import CalDAVClient
from zdcal.runtime import Runtime
from zdcal.sandbox.radicale import RadicaleProcess, make_calendar
from zdcal.store import Account, CalDAVAccount, ZendeskApiToken
from zdcal.sync.agents import start_writing
from zdcal.sync.calendar_moves import TicketUpdateBudget, read_calendar_changes
from zdcal.sync.report import SyncReport
from zdcal_session import account_sync

DUE_START = "2031-01-06T09:00:00Z"
IDLE_POLL_TARGET = 1  # requests per agent for a poll that finds nothing


def calendar_url(dav: RadicaleProcess, member: BenchAgent, kind: str) -> str:
    return f"{dav.home_url}{kind}-{member.index}/"


async def install(
    runtime: Runtime, zendesk_url: str, dav: RadicaleProcess, team: list[BenchAgent]
) -> Account:
    """The account, and every agent connected to a calendar of their own on the one
    Radicale account: the credentials straight in the store (discovery is not measured),
    then the calendar chosen as the CalDAV form does (``start_writing``: its sync token
    taken before anything is written; the mirror is still empty, so nothing is)."""
    credentials = CalDAVAccount(dav.home_url, dav.username, dav.password)
    async with runtime.store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain="sandbox", base_url=zendesk_url, admin_email=ADMIN_EMAIL,
            credentials=ZendeskApiToken(ADMIN_EMAIL, "bench-admin-token"),
        )
        for member in team:
            agent = await tx.agents.upsert_profile(
                account.id, member.zendesk_user_id, name=f"Agent {member.index}",
                email=member.email, time_zone=member.time_zone,
            )
            await tx.agents.connect(
                agent.id, calendar_account_id=dav.home_url, data_center="",
                tokens=credentials, calendar_backend="caldav",
            )
    async with runtime.sync_session(account, SyncReport()) as sync:
        for member in team:
            async with runtime.store.transaction() as tx:
                found = await tx.agents.get_by_user(account.id, member.zendesk_user_id)
            assert found is not None
            await start_writing(sync, found, calendar_url(dav, member, "zdcal"))
    return account


async def poll_round(runtime: Runtime, account: Account) -> tuple[float, int]:
    """One polling round as the worker makes it (every agent's calendar read at once,
    the read state saved): wall time and CalDAV requests."""
    report = SyncReport()
    budget = TicketUpdateBudget()
    async with runtime.sync_session(account, report) as sync:
        async with runtime.store.transaction() as tx:
            team = await tx.agents.list_active_with_calendar(account.id)
        started = time.perf_counter()
        await asyncio.gather(*(read_calendar_changes(sync, agent, budget) for agent in team))
        wall = time.perf_counter() - started
    return wall, report.requests["caldav"]


async def bare_writing(dav: RadicaleProcess, team: list[BenchAgent]) -> tuple[float, int, int]:
    """The floor: a bare CalDAVClient creating (``If-None-Match: *``) the objects zdcal
    wrote, read back byte for byte, in a fresh calendar per agent; agents at once, one
    calendar's objects one after another, as zdcal writes them. Wall time, requests and
    objects written (reading them back is not timed)."""
    async with CalDAVClient(dav.url, dav.username, dav.password) as client:
        work: list[list[tuple[str, bytes]]] = []
        for member in team:
            source = calendar_url(dav, member, "zdcal")
            found = await client.multiget(source, list(await client.etags(source)))
            target = calendar_url(dav, member, "bare")
            with dav.http() as http:
                make_calendar(http, target, f"Bare {member.index}")
            work.append([(target + o.url.rpartition("/")[2], o.data) for o in found])
        before = client.requests_sent

        async def write(objects: list[tuple[str, bytes]]) -> None:
            for url, data in objects:
                await client.create(url, data)

        started = time.perf_counter()
        await asyncio.gather(*(write(objects) for objects in work))
        wall = time.perf_counter() - started
        return wall, client.requests_sent - before, sum(len(w) for w in work)


async def run(
    sims: SimulatorProcess, dav: RadicaleProcess, data_dir: Path, tasks: int, agent_count: int
) -> dict[str, float]:
    team = agents(agent_count)
    with dav.http() as http:
        for member in team:
            make_calendar(http, calendar_url(dav, member, "zdcal"), f"Work {member.index}")
    report = SyncReport()
    figures: dict[str, float] = {}
    async with await Runtime.open(zdcal_settings(data_dir, sims.cronofy_url)) as runtime:
        account = await install(runtime, sims.zendesk_url, dav, team)
        sims.bulk_tickets(tasks, type="task", status="open",
                          assignee_ids=[a.zendesk_user_id for a in team],
                          due_at_start=DUE_START, due_step_seconds=900)
        async with account_sync(runtime, account, report) as sync:
            started = time.perf_counter()
            await sync.sweep()
            figures["wall"] = time.perf_counter() - started
        figures["caldav"] = report.requests["caldav"]
        figures["zendesk"] = report.requests["zendesk"]
        figures["created"] = report.events_created
        figures["failed"] = report.events_failed
        # Nothing changes in the calendars from here on. The first round's sync token is
        # the one taken before the backfill: it reads zdcal's own writes back. The
        # second is the steady state.
        for name in ("first_poll", "idle_poll"):
            figures[f"{name}_wall"], figures[name] = await poll_round(runtime, account)
    async with CalDAVClient(dav.url, dav.username, dav.password) as client:
        figures["events"] = sum(
            [len(await client.etags(calendar_url(dav, m, "zdcal"))) for m in team]
        )
    figures["floor_wall"], figures["floor_requests"], figures["floor_objects"] = (
        await bare_writing(dav, team)
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2_000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="200 tasks over 5 agents")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.agents = 200, 5
    with tempfile.TemporaryDirectory(prefix="zdcal-bench-") as tmp, \
            SimulatorProcess(scenario(agents(args.agents)), Path(tmp)) as sims, \
            RadicaleProcess(Path(tmp) / "radicale", username="bench") as dav:
        f = asyncio.run(run(sims, dav, Path(tmp), args.tasks, args.agents))
    print(f"CalDAV backfill: {args.tasks:,} open tasks over {args.agents} agents, fresh SQLite "
          "database; the Zendesk simulator in a separate process (no latency, no limits "
          "reached), a real Radicale (plain HTTP, Basic auth, filesystem storage) on loopback.")
    print("Floor, measured in the same run: a bare CalDAVClient creating the objects zdcal "
          "wrote (read back byte for byte) in fresh calendars, agents at once, each "
          "calendar's objects in sequence, as zdcal writes them.\n")
    per_event = f["caldav"] / max(f["events"], 1)
    ratio = f["wall"] / f["floor_wall"]
    rows: list[list[object]] = [
        ["events in the calendars", count(f["events"]), count(f["floor_objects"])],
        ["events failed", count(f["failed"]), "0"],
        ["Zendesk requests", count(f["zendesk"]), ""],
        ["CalDAV requests", count(f["caldav"]), count(f["floor_requests"])],
        ["CalDAV requests per event written", f"{per_event:.3f}",
         f"{f['floor_requests'] / max(f['floor_objects'], 1):.3f}"],
        ["wall time (s)", f"{f['wall']:.2f}", f"{f['floor_wall']:.2f}"],
        ["events/s", f"{f['events'] / f['wall']:.0f}",
         f"{f['floor_objects'] / f['floor_wall']:.0f}"],
    ]
    print(table(["backfill", "zdcal", "floor"], rows))
    print(f"\nzdcal's wall time is {ratio:.2f}x the floor's.\n")
    per_agent = f["idle_poll"] / args.agents
    poll_rows: list[list[object]] = [
        ["1st round after the backfill (reads zdcal's writes back)",
         count(f["first_poll"]), f"{f['first_poll_wall'] * 1000:.0f}", ""],
        ["2nd round: nothing changed", count(f["idle_poll"]),
         f"{f['idle_poll_wall'] * 1000:.0f}",
         verdict(f"{IDLE_POLL_TARGET} request per agent ({per_agent:.2f})",
                 per_agent <= IDLE_POLL_TARGET)],
    ]
    print(table([f"polling round over {args.agents} agents", "CalDAV requests",
                 "wall (ms)", "target"], poll_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
