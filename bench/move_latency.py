"""From a move in the agent's calendar to the task's due date in Zendesk: how long?

Three processes: both simulators (``zdcal sandbox``, real rate limits), zdcal (``zdcal
serve``, workers on, default collect window and tick, its Zendesk webhook and trigger
bootstrapped, one Cronofy push channel per agent), and this one, which drives and
watches. After setup (20 agents, 2 open tasks each, all in their calendars as all-day
events), both simulators get 50 ms of API latency and this process moves events through
the Cronofy simulator's control API (``POST /_sandbox/events/change``: the user drags the
event to another day; the simulator pushes a signed ``change`` notification) at 5 a
second, round-robin over the tasks, each move to a day of its own. zdcal must read the
agent's changed events, check the ticket and update its due date in Zendesk; Zendesk's
trigger then sends zdcal a webhook for that update, which must cause no calendar write.

Clocks: the Zendesk simulator's ``updated_at`` has whole seconds (as Zendesk's has), too
coarse. So each move is timed from the moment its control call returned to the first
poll of the Zendesk simulator's state (``GET /_sandbox/state``, never counted, limited or
delayed; every 10 ms while moves are outstanding, two polls in flight at once) showing
the ticket's due date that move asks for. The gap between that poll's answer and the
sending of the poll before it is the timing's resolution, and is printed.

Counts (the simulators' own, over the moves and until zdcal is idle again): calendar
writes (``POST /v1/batch``, ``POST``/``DELETE /v1/calendars/{id}/events``) and Zendesk
ticket updates (``PUT /api/v2/tickets/{ticket_id}``). Expected: one update per move, no
calendar write. zdcal allows 10 due-date updates per ticket per 10 minutes, so the
default run moves each of its 40 tasks 5 times, 8 s apart.

    .venv/bin/python bench/move_latency.py [--quick] [--moves 200] [--rate 5] [--agents 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from population import BenchAgent, CalendarLink, agents, cronofy_link, install, scenario
from report_table import count, percentile, table, verdict
from simulators import (
    SetupError,
    SimulatorProcess,
    Task,
    create_tasks,
    events_by_id,
    free_port,
)
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.sync.report import SyncReport
from zdcal_serve import ZdcalServeProcess, bootstrap, served_settings

API_LATENCY_MS = 50
TARGET_P99_SECONDS = 2.0  # the same target as the Zendesk → calendar direction
# Tasks are due at noon UTC on SETUP_DATE: the same calendar date in every agent's time
# zone (UTC-5 to UTC+9), so the all-day event's day is the due date's day everywhere.
# Near today: Microsoft 365 reads changes over a window (a year back, two years ahead).
SETUP_DATE = date.today() + timedelta(days=60)
SETUP_DUE_AT = f"{SETUP_DATE.isoformat()}T12:00:00Z"
# Move number n drags its event to FIRST_MOVE_DATE + n days: every move asks for a due
# date no other move asks for, so the Zendesk state tells which move it shows.
FIRST_MOVE_DATE = SETUP_DATE + timedelta(days=31)
POLL_INTERVAL_SECONDS = 0.010
POLLS_IN_FLIGHT = 2
WINDOW_SECONDS = 10.0
DRAIN_TIMEOUT_SECONDS = 60.0
IDLE_TIMEOUT_SECONDS = 60.0
# zdcal is idle when its queues stay empty and both simulators have nothing in flight for
# this long (longer than its 0.5 s collect window and 1 s tick).
IDLE_QUIET_SECONDS = 3.0
TICKET_UPDATE_ROUTE = "PUT /api/v2/tickets/{ticket_id}"


@dataclass(frozen=True)
class CalendarSide:
    """The calendar service the user moves events in, as the probe and the counts see it:
    Cronofy here (:func:`cronofy_side`), Google in ``google_move_latency.py``."""

    name: str
    url: str
    control: httpx.Client
    write_routes: tuple[str, ...]
    """Route templates (prefixes) of calendar writes in its ``/_sandbox/stats``."""
    move: Callable[[Task, date], tuple[str, str, dict[str, Any]]]
    """The control call (method, path, JSON body) that drags the task's all-day event to a day."""
    event_day: Callable[[Task], str | None]
    """The day the task's all-day event starts on now (None: not there)."""
    is_change_push: Callable[[dict[str, Any]], bool]
    """Whether a line of its ``/_sandbox/notifications`` log is a delivered change push."""
    refused: Callable[[dict[str, Any]], int]
    """Requests its ``/_sandbox/stats`` shows refused for the rate limits or quotas."""


def cronofy_side(sim: SimulatorProcess) -> CalendarSide:
    def move(task: Task, day: date) -> tuple[str, str, dict[str, Any]]:
        return "POST", "/_sandbox/events/change", {
            "calendar_id": task.calendar_id, "event_id": task.event_id,
            "start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat(),
        }

    def event_day(task: Task) -> str | None:
        day = events_by_id(sim.cronofy, task.calendar_id).get(task.event_id, {}).get("start")
        return str(day) if day is not None else None

    return CalendarSide(
        "Cronofy", sim.cronofy_url, sim.cronofy,
        ("POST /v1/batch", "POST /v1/calendars/", "DELETE /v1/calendars/"),
        move, event_day,
        lambda push: bool(push["type"] == "change" and push["outcome"] == "delivered"),
        lambda stats: int(stats["by_status"].get("429", 0)),
    )


@dataclass(frozen=True)
class MovableTask:
    """A benchmark task: its ticket, its event, and the agent whose calendar holds it."""

    task: Task

    @property
    def agent(self) -> BenchAgent:
        return self.task.agent

    def due_at_after_move(self, day: date) -> str:
        """The due date zdcal should write when the all-day event is moved to ``day``:
        that day at the task's usual local time, in the agent's zone (Zendesk's format)."""
        zone = ZoneInfo(self.agent.time_zone)
        original = datetime.fromisoformat(SETUP_DUE_AT).astimezone(zone)
        local = datetime.combine(day, original.time(), tzinfo=zone)
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Move:
    """One move: when its control call returned, and when Zendesk first showed it."""

    number: int
    task: MovableTask
    day: date
    expected_due_at: str
    call_seconds: float = 0.0  # the control call's round trip
    moved_at: float = 0.0
    seen_at: float | None = None
    resolution: float | None = None  # seen_at minus the sending of the poll before

    @property
    def latency(self) -> float:
        assert self.seen_at is not None
        return self.seen_at - self.moved_at


# Setup ------------------------------------------------------------------------------------


async def prepare_account(
    settings: Settings, zendesk_url: str, team: list[BenchAgent],
    link: Callable[[BenchAgent], CalendarLink] = cronofy_link,
) -> str:
    """The account and connected agents in zdcal's store; returns the account key.

    Like connecting does, each agent's calendar changes are read from now on."""
    async with await Runtime.open(settings) as runtime:
        account = await install(runtime, zendesk_url, team, link)
        async with runtime.store.transaction() as tx:
            for agent in await tx.agents.for_account(account.id):
                await tx.agents.set_events_read_at(agent.id, runtime.clock.now())
        return account.key


async def open_channels(settings: Settings) -> int:
    """Each agent's push channel to zdcal (as connecting makes it); returns how
    many agents have one."""
    async with await Runtime.open(settings) as runtime:
        async with runtime.store.transaction() as tx:
            (account,) = await tx.accounts.all()
            team = await tx.agents.for_account(account.id)
        async with runtime.sync_session(account, SyncReport()) as sync:
            for agent in team:
                await sync.ensure_channel(agent)
        async with runtime.store.transaction() as tx:
            return sum(a.channel_id is not None for a in await tx.agents.for_account(account.id))


# Measuring --------------------------------------------------------------------------------


class MoveProbe:
    """Moves events at a fixed rate and watches the Zendesk simulator for the due dates."""

    def __init__(self, sim: SimulatorProcess, side: CalendarSide, tasks: list[MovableTask], *,
                 moves: int, rate: float) -> None:
        self.sim = sim
        self.side = side
        self.rate = rate
        self.moves = [
            Move(n, task, day, task.due_at_after_move(day))
            for n in range(moves)
            for task in [tasks[n % len(tasks)]]
            for day in [FIRST_MOVE_DATE + timedelta(days=n)]
        ]
        self.failed_calls = 0
        self.polls = 0
        self.poll_round_trips: list[float] = []
        self.started_at = 0.0
        self._outstanding: list[Move] = []
        self._last_poll_sent = 0.0
        self._moving_done = False

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        async with (
            httpx.AsyncClient(base_url=self.sim.zendesk_url, limits=limits, timeout=30) as zd,
            httpx.AsyncClient(base_url=self.side.url, limits=limits, timeout=30) as calendar,
        ):
            pollers = [asyncio.create_task(self._poll(zd)) for _ in range(POLLS_IN_FLIGHT)]
            await self._send(calendar)
            self._moving_done = True
            await asyncio.gather(*pollers)

    async def _send(self, calendar: httpx.AsyncClient) -> None:
        """One move every 1/rate seconds on a fixed schedule (a slow call delays no other)."""
        started = self.started_at = time.perf_counter()
        calls: set[asyncio.Task[None]] = set()
        for move in self.moves:
            pause = started + move.number / self.rate - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            call = asyncio.create_task(self._move(calendar, move))
            calls.add(call)
            call.add_done_callback(calls.discard)
        await asyncio.gather(*calls)

    async def _move(self, calendar: httpx.AsyncClient, move: Move) -> None:
        method, path, body = self.side.move(move.task.task, move.day)
        sent = time.perf_counter()
        response = await calendar.request(method, path, json=body)
        move.moved_at = time.perf_counter()
        move.call_seconds = move.moved_at - sent
        if response.status_code == 200:
            self._outstanding.append(move)
        else:
            self.failed_calls += 1

    async def _poll(self, zendesk: httpx.AsyncClient) -> None:
        """Poll the state every POLL_INTERVAL_SECONDS (over all pollers) while moves wait."""
        deadline: float | None = None
        while True:
            if not self._outstanding:
                if self._moving_done:
                    return
                await asyncio.sleep(POLL_INTERVAL_SECONDS / 4)
                continue
            if self._moving_done:
                deadline = deadline or time.perf_counter() + DRAIN_TIMEOUT_SECONDS
                if time.perf_counter() > deadline:
                    return
            wait = self._last_poll_sent + POLL_INTERVAL_SECONDS - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            previous, sent = self._last_poll_sent, time.perf_counter()
            self._last_poll_sent = sent
            response = await zendesk.get("/_sandbox/state")
            seen_at = time.perf_counter()
            self.polls += 1
            self.poll_round_trips.append(seen_at - sent)
            response.raise_for_status()
            due = {t["id"]: t["due_at"] for t in response.json()["tickets"]}
            self._settle(due, seen_at, seen_at - previous)

    def _settle(self, due: dict[int, Any], seen_at: float, resolution: float) -> None:
        """Mark seen every outstanding move whose due date the ticket now has; stop
        waiting for moves a later move of the same task superseded."""
        latest_seen: dict[int, int] = {}
        for move in self._outstanding:
            if due.get(move.task.task.ticket_id) == move.expected_due_at:
                move.seen_at, move.resolution = seen_at, resolution
                latest_seen[move.task.task.ticket_id] = move.number
        self._outstanding = [
            m for m in self._outstanding
            if m.seen_at is None and m.number > latest_seen.get(m.task.task.ticket_id, -1)
        ]


async def zdcal_queues(settings: Settings) -> tuple[int, int]:
    """(Zendesk notifications, calendar reads) waiting in zdcal's queue tables."""
    async with await Runtime.open(settings) as runtime, runtime.store.transaction() as tx:
        return await tx.notifications.depth(), len(await tx.calendar_reads.waiting())


def wait_until_idle(sim: SimulatorProcess, side: CalendarSide, settings: Settings) -> float:
    """Wait until nothing is in flight anywhere for IDLE_QUIET_SECONDS; seconds waited.

    Zendesk's webhooks for zdcal's own updates (the would-be echo) must have arrived and
    been applied before the calendar writes are counted."""
    started = quiet_since = time.monotonic()
    while time.monotonic() - started < IDLE_TIMEOUT_SECONDS:
        deliveries = sim.zendesk.get("/_sandbox/deliveries").json()["deliveries"]
        pushes = side.control.get("/_sandbox/notifications").json()["pending"]
        busy = (
            any(d["final_status"] == "pending" for d in deliveries)
            or pushes
            or any(asyncio.run(zdcal_queues(settings)))
        )
        now = time.monotonic()
        if busy:
            quiet_since = now
        elif now - quiet_since >= IDLE_QUIET_SECONDS:
            return now - started
        time.sleep(0.2)
    raise SetupError(f"zdcal was still busy {IDLE_TIMEOUT_SECONDS:.0f} s after the moves")


@dataclass(frozen=True)
class Traffic:
    """What the simulators counted from the first move until zdcal was idle again."""

    calendar_writes: int
    calendar_requests: Counter[str]
    ticket_updates: int
    zendesk_requests: Counter[str]
    refused: int  # 429s on either side
    pushes_delivered: int
    webhooks_delivered: int


def traffic(sim: SimulatorProcess, side: CalendarSide, deliveries_before: int,
            pushes_before: int) -> Traffic:
    calendar, zendesk = side.control.get("/_sandbox/stats").json(), sim.zendesk_stats()
    calendar_requests: Counter[str] = Counter(calendar["by_route"])
    zendesk_requests: Counter[str] = Counter(zendesk["by_route"])
    deliveries = sim.zendesk.get("/_sandbox/deliveries").json()["deliveries"][deliveries_before:]
    pushes = side.control.get("/_sandbox/notifications").json()["deliveries"][pushes_before:]
    return Traffic(
        calendar_writes=sum(n for route, n in calendar_requests.items()
                            if route.startswith(side.write_routes)),
        calendar_requests=calendar_requests,
        ticket_updates=zendesk_requests[TICKET_UPDATE_ROUTE],
        zendesk_requests=zendesk_requests,
        refused=side.refused(calendar) + int(zendesk["by_status"].get("429", 0)),
        pushes_delivered=sum(side.is_change_push(p) for p in pushes),
        webhooks_delivered=sum(d["final_status"] == "delivered" for d in deliveries),
    )


def final_positions(sim: SimulatorProcess, probe: MoveProbe) -> tuple[int, int]:
    """(tickets, events) that ended where each task's last move put them."""
    last: dict[int, Move] = {m.task.task.ticket_id: m for m in probe.moves}
    state = sim.zendesk.get("/_sandbox/state").json()["tickets"]
    due = {t["id"]: t["due_at"] for t in state}
    tickets = sum(due.get(tid) == m.expected_due_at for tid, m in last.items())
    placed = sum(probe.side.event_day(m.task.task) == m.day.isoformat() for m in last.values())
    return tickets, placed


# Report -------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def distribution_row(name: str, values: list[float]) -> list[object]:
    return [name, len(values), ms(statistics.median(values)), ms(percentile(values, 0.9)),
            ms(percentile(values, 0.99)), ms(max(values))]


def unseen_moves(probe: MoveProbe) -> tuple[int, int]:
    """(superseded, never applied): moves Zendesk never showed, those followed by a later
    move of the same task and those that were their task's last."""
    last = {m.task.task.ticket_id: m.number for m in probe.moves if m.moved_at}
    unseen = [m for m in probe.moves if m.moved_at and m.seen_at is None]
    never = sum(m.number == last[m.task.task.ticket_id] for m in unseen)
    return len(unseen) - never, never


def windows(started_at: float, seen: list[Move]) -> list[tuple[float, list[float]]]:
    """Latencies by WINDOW_SECONDS window of when the move was made: is it steady?"""
    by_window: dict[int, list[float]] = {}
    for move in seen:
        index = int((move.moved_at - started_at) // WINDOW_SECONDS)
        by_window.setdefault(index, []).append(move.latency)
    return [(i * WINDOW_SECONDS, by_window[i]) for i in sorted(by_window)]


def report(probe: MoveProbe, flow: Traffic, positions: tuple[int, int], idle: float) -> str:
    calendar = probe.side.name
    sent = [m for m in probe.moves if m.moved_at]
    seen = [m for m in sent if m.seen_at is not None]
    superseded, never = unseen_moves(probe)
    lines = [
        f"moves made         {len(sent) - probe.failed_calls:,} at {probe.rate:g}/s over "
        f"{len({m.task.task.ticket_id for m in sent})} tasks "
        f"({probe.failed_calls} control calls failed)",
        f"seen in Zendesk    {len(seen):,}; not seen: {superseded} superseded (the task was "
        f"moved again before zdcal read the calendar: its later position was applied), "
        f"{never} last moves of their task never applied within "
        f"{DRAIN_TIMEOUT_SECONDS:.0f} s",
        f"zdcal idle again   {idle:.1f} s after the probe ended "
        f"(including {IDLE_QUIET_SECONDS:g} s of quiet)",
        "",
    ]
    if seen:
        latencies = [m.latency for m in seen]
        lines += [
            table(
                ["milliseconds", "n", "p50", "p90", "p99", "max"],
                [
                    distribution_row("move → due date in Zendesk", latencies),
                    distribution_row("poll resolution", [m.resolution or 0.0 for m in seen]),
                    distribution_row("poll round trip", probe.poll_round_trips),
                    distribution_row("control call round trip", [m.call_seconds for m in sent]),
                ],
            ),
            f"target p99 < {TARGET_P99_SECONDS:g} s: "
            f"{'met' if percentile(latencies, 0.99) < TARGET_P99_SECONDS else 'MISSED'} "
            f"({probe.polls:,} polls)",
            "",
            table(
                ["moves made in seconds", "n", "p50", "p90", "p99", "max"],
                [distribution_row(f"{low:g}-{low + WINDOW_SECONDS:g}", window)
                 for low, window in windows(probe.started_at, seen)],
            ),
            "",
        ]
    moves = len(sent) - probe.failed_calls
    lines += [
        table(
            ["during the moves, until idle", "count", "expected"],
            [
                ["Zendesk ticket updates (PUT /api/v2/tickets/{ticket_id})",
                 count(flow.ticket_updates),
                 verdict(f"{len(seen)} (one per move applied)", flow.ticket_updates == len(seen))],
                ["moves never applied (their task's last)", never, verdict("0", never == 0)],
                ["calendar writes (batch, event upsert/delete)", count(flow.calendar_writes),
                 verdict("0 (no echo)", flow.calendar_writes == 0)],
                ["calendar change pushes delivered to zdcal", count(flow.pushes_delivered),
                 moves],
                ["Zendesk webhooks delivered (the would-be echo)",
                 count(flow.webhooks_delivered), len(seen)],
                ["requests refused (429, quotas) on either side", count(flow.refused), 0],
                ["tickets due where their last move put them", positions[0],
                 len({m.task.task.ticket_id for m in sent})],
                ["events where their last move put them", positions[1],
                 len({m.task.task.ticket_id for m in sent})],
            ],
        ),
        "",
        "API requests by route:",
        *(f"  Zendesk {route:<46} {n:6,}" for route, n in sorted(flow.zendesk_requests.items())),
        *(f"  {calendar:<7} {route:<46} {n:6,}"
          for route, n in sorted(flow.calendar_requests.items())),
    ]
    return "\n".join(lines)


def arguments(doc: str) -> argparse.Namespace:
    """The command line of this script and of ``google_move_latency.py``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="50 moves over 10 agents with one task each (~30 s)")
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="moves a second")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--tasks-per-agent", type=int, default=2)
    args = parser.parse_args()
    if args.quick:
        args.moves, args.agents, args.tasks_per_agent = 50, 10, 1
    return args


def wait_for_events(side: CalendarSide, tasks: list[MovableTask], timeout: float = 60.0) -> float:
    """Wait until every task's event is in its calendar (zdcal's first sweep); seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(side.event_day(t.task) is not None for t in tasks):
            return time.monotonic() - started
        time.sleep(0.5)
    raise SetupError(f"zdcal did not backfill the {len(tasks)} tasks within {timeout:.0f} s")


def measure(sim: SimulatorProcess, side: CalendarSide, settings: Settings, work_dir: Path,
            team: list[BenchAgent], key: str, args: argparse.Namespace) -> str:
    """Create the tasks of the prepared account ``key``, start ``zdcal serve``, wait for its
    backfill, move the events and watch Zendesk; the report."""
    tasks = [
        MovableTask(task) for task in create_tasks(
            sim, team, key, per_agent=args.tasks_per_agent, due_at=SETUP_DUE_AT
        )
    ]
    port = int(settings.public_url.rsplit(":", 1)[1])
    with ZdcalServeProcess(settings, work_dir, port, workers=True):
        asyncio.run(bootstrap(settings, settings.public_url))
        channels = asyncio.run(open_channels(settings))
        if channels != len(team):
            raise SetupError(f"{channels} of {len(team)} agents have a push channel")
        backfill = wait_for_events(side, tasks)
        wait_until_idle(sim, side, settings)
        print(f"{len(team)} agents, {len(tasks)} tasks in their calendars after "
              f"{backfill:.1f} s, {channels} push channels; API latency "
              f"{API_LATENCY_MS} ms on Zendesk and {side.name}; {args.moves} moves at "
              f"{args.rate:g}/s\n")
        for client in (sim.zendesk, side.control):
            client.put("/_sandbox/faults", json={"latency_ms": API_LATENCY_MS})
        deliveries_before = len(sim.zendesk.get("/_sandbox/deliveries").json()["deliveries"])
        pushes_before = len(side.control.get("/_sandbox/notifications").json()["deliveries"])
        for client in (sim.zendesk, side.control):
            client.post("/_sandbox/stats/reset").raise_for_status()
        probe = MoveProbe(sim, side, tasks, moves=args.moves, rate=args.rate)
        asyncio.run(probe.run())
        idle = wait_until_idle(sim, side, settings)
        flow = traffic(sim, side, deliveries_before, pushes_before)
        positions = final_positions(sim, probe)
    return report(probe, flow, positions, idle)


Setup = Callable[[SimulatorProcess, Path, list[BenchAgent]], tuple[CalendarSide, Settings, str]]
"""Prepares zdcal's account for the calendar service measured: its side, zdcal's settings
and the account key."""


def run(doc: str, setup: Setup) -> None:
    """The whole benchmark for one calendar service: simulators, setup, measure, report."""
    args = arguments(doc)
    team = agents(args.agents)
    with tempfile.TemporaryDirectory(prefix="zdcal-moves-") as tmp:
        work_dir = Path(tmp)
        with SimulatorProcess(scenario(team), work_dir) as sim:
            side, settings, key = setup(sim, work_dir, team)
            text = measure(sim, side, settings, work_dir, team, key, args)
        print(text)


def cronofy_setup(
    sim: SimulatorProcess, work_dir: Path, team: list[BenchAgent]
) -> tuple[CalendarSide, Settings, str]:
    settings = served_settings(work_dir, sim.cronofy_url, free_port())
    key = asyncio.run(prepare_account(settings, sim.zendesk_url, team))
    return cronofy_side(sim), settings, key


def main() -> None:
    run(__doc__, cronofy_setup)


if __name__ == "__main__":
    sys.exit(main())
