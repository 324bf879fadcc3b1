"""From a move in the agent's Google calendar to the task's due date in Zendesk: how long?

``move_latency.py`` with Google Calendar in Cronofy's place. Three processes: the
simulators (``zdcal sandbox``, Google among them; Google's quotas on at its
published figures, 600 a minute per user and 10,000 per project), zdcal (``zdcal serve``,
workers on, default collect window and tick, its Zendesk webhook and trigger
bootstrapped, one Google push channel (``events.watch``) per agent's calendar), and this
one. After setup (20 agents, 2 open tasks each, all in their primary calendars as
all-day events), Zendesk and Google get 50 ms of API latency and this process moves
events as the user would in Google Calendar (``PATCH /_sandbox/calendars/{id}/events/
{eventId}`` with a new ``start.date``/``end.date``; the simulator pushes ``exists`` to the
calendar's channels) at 5 a second, round-robin over the tasks, each move to a day of its
own. zdcal must list the calendar's changes (sync token), check the ticket and update its
due date in Zendesk; Zendesk's trigger then sends zdcal a webhook for that update, which
must cause no calendar write. Timing, polling and counts as in ``move_latency.py``.

    .venv/bin/python bench/google_move_latency.py [--quick] [--moves 200] [--rate 5] [--agents 20]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from google_population import add_users, google_link, google_settings
from move_latency import CalendarSide, arguments, measure, prepare_account
from population import agents, scenario
from simulators import SimulatorProcess, Task, free_port
from zdcal.calendars.google.event_ids import google_event_id
from zdcal.sandbox.google import assumptions
from zdcal_serve import served_settings


def google_side(sim: SimulatorProcess) -> CalendarSide:
    """The Google simulator as the probe sees it: each agent's primary calendar is named by
    their email; zdcal writes only through batches."""
    def event_path(task: Task) -> str:
        return (f"/_sandbox/calendars/{task.agent.email}/events/"
                f"{google_event_id(task.event_id)}")

    def move(task: Task, day: date) -> tuple[str, str, dict[str, Any]]:
        return "PATCH", event_path(task), {
            "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
        }

    def event_day(task: Task) -> str | None:
        listed = sim.google.get(f"/_sandbox/calendars/{task.agent.email}/events")
        listed.raise_for_status()
        wanted = google_event_id(task.event_id)
        for item in listed.json()["items"]:
            if item.get("id") == wanted and item.get("status") != "cancelled":
                return str(item["start"].get("date") or item["start"].get("dateTime"))
        return None

    def refused(stats: dict[str, Any]) -> int:
        return int(stats["by_status"].get("429", 0)) + sum(stats["quota_refused"].values())

    return CalendarSide(
        "Google", sim.google_url, sim.google,
        ("POST /batch/calendar/v3", "PUT /calendar/v3/calendars/",
         "PATCH /calendar/v3/calendars/", "DELETE /calendar/v3/calendars/"),
        move, event_day,
        lambda push: bool(push["state"] == "exists" and push["outcome"] == "delivered"),
        refused,
    )


def main() -> None:
    args = arguments(__doc__)
    team = agents(args.agents)
    with tempfile.TemporaryDirectory(prefix="zdcal-moves-") as tmp:
        work_dir = Path(tmp)
        with SimulatorProcess(scenario(team), work_dir) as sim:
            tokens = add_users(sim.google, team)
            settings = google_settings(
                served_settings(work_dir, sim.cronofy_url, free_port()), sim.google_url,
                per_user=assumptions.REQUESTS_PER_MINUTE_PER_USER,
                per_project=assumptions.REQUESTS_PER_MINUTE_PER_PROJECT,
            )
            key = asyncio.run(
                prepare_account(settings, sim.zendesk_url, team, google_link(tokens))
            )
            text = measure(sim, google_side(sim), settings, work_dir, team, key, args)
        print(text)


if __name__ == "__main__":
    sys.exit(main())
