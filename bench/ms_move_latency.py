"""From a move in the agent's Outlook calendar to the task's due date in Zendesk: how long?

``move_latency.py`` with Microsoft 365 in Cronofy's place. Three processes: the simulators
(``zdcal sandbox``; Graph's per-mailbox throttling on at its published figures, 10,000
requests per 10 minutes and 4 at once), zdcal (``zdcal serve``, workers on, default
collect window and tick, its Zendesk webhook and trigger bootstrapped, one Graph
subscription (change notifications) per agent's calendar, made with
``AccountSync.ensure_channel`` after Graph's validation handshake with zdcal), and this
one. After setup (20 agents, 2 open tasks each, in their mailboxes' calendars as all-day
events), Zendesk and Graph get 50 ms of API latency and this process moves events as the
user would in Outlook (``PATCH /_sandbox/events/{id}`` with new all-day ``start``/``end``
in the event's own zone; the simulator POSTs an ``updated`` notification to the
subscription) at 5 a second, round-robin over the tasks, each move to a day of its own.
zdcal must read the calendar's delta, check the ticket and update its due date in
Zendesk; Zendesk's trigger then sends zdcal a webhook for that update, which must cause no
calendar write. Timing, polling and counts as in ``move_latency.py``.

    .venv/bin/python bench/ms_move_latency.py [--quick] [--moves 200] [--rate 5] [--agents 20]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from move_latency import CalendarSide, arguments, measure, prepare_account
from ms_population import (
    microsoft_link,
    microsoft_settings,
    microsoft_users,
    mint_links,
    zdcal_events,
)
from population import agents, scenario
from simulators import SimulatorProcess, Task
from zdcal.sandbox.background import free_port
from zdcal_serve import served_settings


def microsoft_side(sim: SimulatorProcess) -> CalendarSide:
    """The Graph simulator as the probe sees it. Events are named by Graph; the probe finds
    each task's by zdcal's extended property while it waits for the backfill (every
    ``event_day`` call looks), before any move needs it."""
    seen: dict[str, dict[str, Any]] = {}

    def event(task: Task) -> dict[str, Any] | None:
        found = zdcal_events(sim.microsoft, task.agent.email).get(task.event_id)
        if found is not None:
            seen[task.event_id] = found
        return found

    def move(task: Task, day: date) -> tuple[str, str, dict[str, Any]]:
        known = seen[task.event_id]
        zone = known["start"]["timeZone"]
        return "PATCH", f"/_sandbox/events/{known['id']}", {
            "isAllDay": True,
            "start": {"dateTime": f"{day.isoformat()}T00:00:00", "timeZone": zone},
            "end": {"dateTime": f"{(day + timedelta(days=1)).isoformat()}T00:00:00",
                    "timeZone": zone},
        }

    def event_day(task: Task) -> str | None:
        found = event(task)
        return str(found["start"]["dateTime"])[:10] if found is not None else None

    def refused(stats: dict[str, Any]) -> int:
        return sum(int(stats["by_status"].get(status, 0)) for status in ("429", "503"))

    return CalendarSide(
        "Graph", sim.microsoft_url, sim.microsoft,
        ("POST /v1.0/me/calendars/", "POST /v1.0/me/events", "PATCH /v1.0/me/",
         "DELETE /v1.0/me/"),
        move, event_day,
        lambda push: bool(push["kind"] == "change" and 200 <= (push["status"] or 0) < 300),
        refused,
    )


def main() -> int:
    args = arguments(__doc__)
    team = agents(args.agents)
    world = scenario(team)
    world["microsoft"] = microsoft_users(team)
    with tempfile.TemporaryDirectory(prefix="zdcal-moves-") as tmp:
        work_dir = Path(tmp)
        with SimulatorProcess(world, work_dir) as sim:
            settings = microsoft_settings(
                served_settings(work_dir, sim.cronofy_url, free_port()), sim.microsoft_url)
            key = asyncio.run(prepare_account(
                settings, sim.zendesk_url, team, microsoft_link(mint_links(sim.microsoft))))
            text = measure(sim, microsoft_side(sim), settings, work_dir, team, key, args)
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
