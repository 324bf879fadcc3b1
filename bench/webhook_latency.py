"""From a ticket change in Zendesk to the event in the agent's calendar: how long?

Three processes: both simulators (``zdcal sandbox``), zdcal (``zdcal serve``, workers on,
default collect window), and this one, which drives and watches. After setup (20
agents, 10 open tasks each, all in their calendars), both simulators get 50 ms of API
latency and this process changes tasks through Zendesk's agent-UI endpoint
(``PUT /_sandbox/tickets/{id}``) at 20 a second, round-robin over the tasks, each change
moving the due date to a date of its own. Zendesk's trigger fires a real signed webhook
per change; zdcal must re-read the ticket and rewrite the event.

Clocks: the delivery log of the Zendesk simulator records no times and the signature
timestamp has whole seconds; the Cronofy simulator's ``updated`` has whole seconds too.
Both are too coarse, so each change is timed from the moment this process sent the PUT
(the webhook leaves during that request, so this over-states latency by the PUT's round
trip, a few ms) to the first poll of the agent's calendar (``GET /_sandbox/calendars/
{id}/events``, every 10 ms per calendar while it has changes outstanding, a few polls in
flight at once) that shows the event at that change's date or a later one. The gap
between that poll and the previous one of the same calendar is the timing's resolution,
and is printed.

    .venv/bin/python bench/webhook_latency.py [--seconds 90] [--rate 20] [--agents 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from population import BenchAgent, agents, install, scenario
from report_table import percentile
from simulators import (
    SimulatorProcess,
    Task,
    create_tasks,
    free_port,
    wait_for_backfill,
)
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal_serve import ZdcalServeProcess, bootstrap, served_settings

TARGET_FLOOR_RATIO = 1.3
"""Issue 16 (d): p99 at most this much above the floor Cronofy's limit sets."""
SETUP_SETTLE_SECONDS = 62.0
API_LATENCY_MS = 50
TASKS_PER_AGENT = 10
# Change number n moves its ticket's due date to FIRST_DATE + n days, at noon UTC: the
# same calendar date in every agent's time zone (UTC-5 to UTC+9), so an all-day event's
# start tells which change it shows.
FIRST_DATE = date(2031, 1, 1)
SETUP_DATE = FIRST_DATE - timedelta(days=1)
DRAIN_TIMEOUT_SECONDS = 60.0
WINDOW_SECONDS = 15.0


def due_at(day: date) -> str:
    return f"{day.isoformat()}T12:00:00Z"


@dataclass
class Change:
    """One ticket change: when it was sent, and when its calendar first showed it."""

    number: int
    task: Task
    sent_at: float
    seen_at: float | None = None
    resolution: float | None = None  # time since the previous poll of that calendar

    @property
    def latency(self) -> float:
        assert self.seen_at is not None
        return self.seen_at - self.sent_at


@dataclass
class CalendarWatch:
    """Changes not yet seen in one calendar, and when it was last polled."""

    outstanding: list[Change] = field(default_factory=list)
    last_poll_sent: float = 0.0


# Setup ------------------------------------------------------------------------------------


async def prepare_account(settings: Settings, zendesk_url: str, team: list[BenchAgent]) -> str:
    """The account and connected agents in zdcal's store; returns the account key."""
    async with await Runtime.open(settings) as runtime:
        account = await install(runtime, zendesk_url, team)
        return str(account.key)


# Measuring --------------------------------------------------------------------------------


class LatencyProbe:
    """Sends the changes at a fixed rate and watches the calendars for them."""

    def __init__(
        self, sim: SimulatorProcess, tasks: list[Task], *, rate: float, seconds: float,
        poll_interval: float, polls_in_flight: int, zendesk_url: str | None = None,
    ) -> None:
        """``zendesk_url``: the tasks' Zendesk, when not ``sim``'s (several accounts)."""
        self.zendesk_url = zendesk_url or sim.zendesk_url
        self.cronofy_url = sim.cronofy_url
        self.tasks = tasks
        self.rate = rate
        self.seconds = seconds
        self.poll_interval = poll_interval
        self.polls_in_flight = polls_in_flight
        self.changes: list[Change] = []
        self.failed_puts = 0
        self.polls = 0
        self.poll_errors = 0
        self._watches: dict[str, CalendarWatch] = defaultdict(CalendarWatch)
        self._sending_done = False
        self.stop_sending = asyncio.Event()
        """Set it to stop before ``seconds`` have passed."""

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            httpx.AsyncClient(base_url=self.zendesk_url, limits=limits, timeout=30) as zd,
            httpx.AsyncClient(base_url=self.cronofy_url, limits=limits, timeout=30) as cr,
        ):
            pollers = [asyncio.create_task(self._poll(cr)) for _ in range(self.polls_in_flight)]
            try:
                await self._send(zd)
            finally:
                self._sending_done = True  # the pollers drain, then stop
                await asyncio.gather(*pollers)

    async def _send(self, zendesk: httpx.AsyncClient) -> None:
        """One change every 1/rate seconds on a fixed schedule (a slow PUT delays no other)."""
        started = time.perf_counter()
        puts: set[asyncio.Task[None]] = set()
        count = int(self.seconds * self.rate)
        for number in range(count):
            pause = started + number / self.rate - time.perf_counter()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_sending.wait(), pause)
            if self.stop_sending.is_set():
                break
            task = self.tasks[number % len(self.tasks)]
            put = asyncio.create_task(self._change(zendesk, number, task))
            puts.add(put)
            put.add_done_callback(puts.discard)
        await asyncio.gather(*puts)

    async def _change(self, zendesk: httpx.AsyncClient, number: int, task: Task) -> None:
        body = {"ticket": {"due_at": due_at(FIRST_DATE + timedelta(days=number))}}
        change = Change(number, task, time.perf_counter())
        self.changes.append(change)
        self._watches[task.calendar_id].outstanding.append(change)
        try:
            response = await zendesk.put(f"/_sandbox/tickets/{task.ticket_id}", json=body)
            failed = response.status_code != 200
        except httpx.HTTPError:
            failed = True
        if failed:
            self.failed_puts += 1
            outstanding = self._watches[task.calendar_id].outstanding
            if change in outstanding:  # else a later change's date already settled it
                outstanding.remove(change)
            self.changes.remove(change)

    def _next_calendar(self) -> str | None:
        """The calendar with changes outstanding that was polled longest ago, if due."""
        now = time.perf_counter()
        waiting = [(w.last_poll_sent, c) for c, w in self._watches.items() if w.outstanding]
        if not waiting:
            return None
        last, calendar = min(waiting)
        return calendar if now - last >= self.poll_interval else None

    async def _poll(self, cronofy: httpx.AsyncClient) -> None:
        deadline: float | None = None
        while True:
            calendar = self._next_calendar()
            if calendar is None:
                if self._sending_done and not any(w.outstanding for w in self._watches.values()):
                    return
                if self._sending_done:
                    deadline = deadline or time.perf_counter() + DRAIN_TIMEOUT_SECONDS
                    if time.perf_counter() > deadline:
                        return
                await asyncio.sleep(self.poll_interval / 4)
                continue
            watch = self._watches[calendar]
            previous, sent = watch.last_poll_sent, time.perf_counter()
            watch.last_poll_sent = sent
            try:
                response = await cronofy.get(f"/_sandbox/calendars/{calendar}/events")
                response.raise_for_status()
            except httpx.HTTPError:
                # A busy simulator may drop a connection: the next poll tells the same.
                self.poll_errors += 1
                watch.last_poll_sent = previous
                continue
            seen_at = time.perf_counter()
            self.polls += 1
            shown = {
                e["event_id"]: e["start"] for e in response.json()["events"] if not e["deleted"]
            }
            self._settle(watch, shown, seen_at, seen_at - previous)

    @staticmethod
    def _settle(
        watch: CalendarWatch, shown: dict[str, Any], seen_at: float, resolution: float
    ) -> None:
        """Mark seen every outstanding change whose date (or a later one) is shown."""
        still = []
        for change in watch.outstanding:
            start = shown.get(change.task.event_id)
            if isinstance(start, str) and start[:10] >= (
                FIRST_DATE + timedelta(days=change.number)
            ).isoformat():
                change.seen_at, change.resolution = seen_at, resolution
            else:
                still.append(change)
        watch.outstanding = still


# Report -------------------------------------------------------------------------------------


def milliseconds(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values) * 1000:6.0f}  p90 {percentile(values, 0.9) * 1000:6.0f}"
        f"  p99 {percentile(values, 0.99) * 1000:6.0f}  max {max(values) * 1000:6.0f} ms"
    )


def latencies_by_window(probe: LatencyProbe, started_at: float) -> dict[int, list[float]]:
    """The latencies of the changes seen, by the window of time they were sent in."""
    windows: dict[int, list[float]] = defaultdict(list)
    for change in probe.changes:
        if change.seen_at is not None:
            windows[int((change.sent_at - started_at) // WINDOW_SECONDS)].append(change.latency)
    return windows


def floor_line(
    probe: LatencyProbe, per_minute: int, p99: float, windows: dict[int, list[float]]
) -> str:
    """p99 against the floor Cronofy's per-minute limit sets: each agent's calendar needs
    a batch of its own, so with every agent changed more often than that, each is
    written once every (agents / requests a second) seconds at best."""
    calendars = len({task.calendar_id for task in probe.tasks})
    floor = calendars / (per_minute / 60)
    full = [values for values in windows.values() if len(values) >= 100]
    worst = max((percentile(values, 0.99) for values in full), default=p99)
    verdict = "met" if max(p99, worst) <= TARGET_FLOOR_RATIO * floor else "MISSED"
    return (f"floor               {floor:.2f} s ({calendars} calendars / {per_minute / 60:.2f} "
            f"requests a second); p99 {p99 / floor:.2f}x the floor, worst {WINDOW_SECONDS:g}-s "
            f"window {worst / floor:.2f}x (target <= {TARGET_FLOOR_RATIO:g}x: {verdict})")


def report(probe: LatencyProbe, started_at: float, stats: dict[str, Any]) -> str:
    seen = [c for c in probe.changes if c.seen_at is not None]
    lost = len(probe.changes) - len(seen)
    lines = [
        f"changes sent        {len(probe.changes):,} at {probe.rate:g}/s over "
        f"{probe.seconds:g} s ({probe.failed_puts} PUTs failed)",
        f"seen in calendars   {len(seen):,} ({lost} not seen within "
        f"{DRAIN_TIMEOUT_SECONDS:.0f} s of the last change)",
    ]
    if not seen:
        return "\n".join(lines)
    latencies = [c.latency for c in seen]
    p99 = percentile(latencies, 0.99)
    resolution = [c.resolution for c in seen if c.resolution is not None]
    windows = latencies_by_window(probe, started_at)
    lines += [
        f"latency             {milliseconds(latencies)}",
        floor_line(probe, stats["per_minute"], p99, windows),
        f"poll resolution     p50 {statistics.median(resolution) * 1000:.0f} ms, "
        f"p99 {percentile(resolution, 0.99) * 1000:.0f} ms ({probe.polls:,} polls, "
        f"{probe.poll_errors} failed)",
        "by time since the first change:",
    ]
    for index in sorted(windows):
        low, high = index * WINDOW_SECONDS, (index + 1) * WINDOW_SECONDS
        lines.append(f"  {low:4.0f}-{high:<4.0f} s  n={len(windows[index]):4d}  "
                     f"{milliseconds(windows[index])}")
    lines += [
        f"Zendesk API calls   {stats['zendesk_requests']:,} "
        f"(webhooks delivered {stats['delivered']:,}, not delivered {stats['undelivered']})",
        f"machine load        {stats['load_before']:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"(1-minute load average, {os.cpu_count()} cores)",
        f"Cronofy API calls   {stats['cronofy_requests']:,}, carrying "
        f"{stats['cronofy_entries']:,} batch entries (statuses {stats['cronofy_statuses']}); "
        f"busiest second {stats['cronofy_busiest'][0]}, minute {stats['cronofy_busiest'][1]}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="how long changes are sent")
    parser.add_argument("--rate", type=float, default=20.0, help="changes (webhooks) a second")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=0.010)
    parser.add_argument("--polls-in-flight", type=int, default=2)
    args = parser.parse_args()
    team = agents(args.agents)
    with tempfile.TemporaryDirectory(prefix="zdcal-latency-") as tmp:
        work_dir = Path(tmp)
        with SimulatorProcess(scenario(team), work_dir) as sim:
            port = free_port()
            settings = served_settings(work_dir, sim.cronofy_url, port)
            key = asyncio.run(prepare_account(settings, sim.zendesk_url, team))
            tasks = create_tasks(
                sim, team, key, per_agent=TASKS_PER_AGENT, due_at=due_at(SETUP_DATE)
            )
            with ZdcalServeProcess(settings, work_dir, port, workers=True):
                asyncio.run(bootstrap(settings, settings.public_url))
                backfill = wait_for_backfill(sim, tasks)
                print(f"{len(team)} agents, {len(tasks)} tasks in their calendars after "
                      f"{backfill:.1f} s; API latency {API_LATENCY_MS} ms on both simulators")
                for client in (sim.zendesk, sim.cronofy):
                    client.put("/_sandbox/faults", json={"latency_ms": API_LATENCY_MS})
                # The bootstrap ran in this process: its Cronofy requests (channels) are
                # in the simulator's minute but not in zdcal's budget. Let them leave.
                time.sleep(SETUP_SETTLE_SECONDS)
                sim.reset_stats()
                probe = LatencyProbe(
                    sim, tasks, rate=args.rate, seconds=args.seconds,
                    poll_interval=args.poll_interval, polls_in_flight=args.polls_in_flight,
                )
                load_before = os.getloadavg()[0]
                started_at = time.perf_counter()
                asyncio.run(probe.run())
                deliveries = sim.zendesk.get("/_sandbox/deliveries").json()["deliveries"]
                cronofy = sim.cronofy_stats()
                stats = {
                    "zendesk_requests": sim.zendesk_requests(),
                    "delivered": sum(d["final_status"] == "delivered" for d in deliveries),
                    "undelivered": sum(d["final_status"] != "delivered" for d in deliveries),
                    "cronofy_requests": int(cronofy["requests"]),
                    "cronofy_entries": int(cronofy["batch_entries"]),
                    "cronofy_statuses": cronofy["by_status"],
                    "cronofy_busiest": (cronofy["busiest_second"], cronofy["busiest_minute"]),
                    "per_minute": settings.cronofy_requests_per_minute,
                    "load_before": load_before,
                }
        print(report(probe, started_at, stats))


if __name__ == "__main__":
    main()
