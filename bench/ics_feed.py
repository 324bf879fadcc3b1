"""ICS feed: render time of one agent's calendar subscription with 1,000 open tasks.

A fresh SQLite database holds one account, one agent (a timed style with two reminders,
so every event carries a TZID and two VALARMs, plus one VTIMEZONE for the feed) and
TASKS open tasks of theirs in the ticket mirror, due on successive days; the agent has a
feed. zdcal's app serves it over real HTTP on loopback (no workers). Measured, each the
median of ROUNDS:

* **200 (full render)** over HTTP: the token looked up, the mirror read, the desired
  entries planned, the VCALENDAR built and serialized, sent. Every 200 renders: nothing
  is cached between requests.
* **304** over HTTP: the same up to the digest, then ``If-None-Match`` matches.
* in process, the parts: ``served_feed`` (lookup, read, plan, digest) and ``render_feed``.
* **floor**, measured in the same run: the same events (same properties and values,
  computed beforehand) built with ``icalendar`` alone and serialized, with the same
  VTIMEZONE: what any Python renderer on this library pays. The ratio is render/floor.

    .venv/bin/python bench/ics_feed.py [--tasks 1000] [--rounds 7] [--public]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import icalendar

from population import zdcal_settings
from report_table import table
from zdcal.calendars.ics.feed import render_feed
from zdcal.runtime import Runtime
from zdcal.sandbox.server import ServerThread
from zdcal.store import MirroredTicket, ZendeskApiToken
from zdcal.usecases.ics_feeds import served_feed
from zdcal.web.app import create_app

AGENT_ID = 2001
TIME_ZONE = "America/New_York"
STYLE = {"all_day": False, "local_time": "09:30", "duration_minutes": 45,
         "reminders_minutes": [15, 60], "private": False, "busy": False}
FIRST_DUE = datetime(2031, 1, 6, 14, 0, tzinfo=UTC)
DESCRIPTION = ("The customer asked us to call back about the renewal of their contract; "
               "the details are in the ticket's first comment. ") * 2


async def populate(runtime: Runtime, tasks: int, *, public: bool) -> str:
    """The account, the agent, their open tasks and their feed; returns the feed token."""
    async with runtime.store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain="bench", base_url="https://bench.zendesk.com",
            admin_email="admin@bench.example",
            credentials=ZendeskApiToken("admin@bench.example", "bench-token"),
        )
        agent = await tx.agents.upsert_profile(
            account.id, AGENT_ID, name="Agent", email="agent@bench.example",
            time_zone=TIME_ZONE,
        )
        await tx.agents.set_style(agent.id, STYLE)  # type: ignore[arg-type]
        await tx.tickets.upsert_many(account.id, [
            MirroredTicket(
                ticket_id=1000 + i, type="task", status="open",
                due_at=FIRST_DUE + timedelta(days=i), assignee_id=AGENT_ID,
                subject=f"Call customer {i} back about the renewal", description=DESCRIPTION,
                priority="normal", updated_at=FIRST_DUE,
            )
            for i in range(tasks)
        ])
        token = await tx.ics_feeds.issue(account.id, AGENT_ID)
        if public:
            await tx.ics_feeds.set_private(account.id, AGENT_ID, False)
    return token


def median_seconds(action: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor_events(body: bytes) -> list[dict[str, Any]]:
    """The events' values, read back from zdcal's own feed (so the floor renders exactly
    the same properties), as plain Python values."""
    calendar = icalendar.Calendar.from_ical(body)
    return [
        {
            "uid": str(e["UID"]), "dtstamp": e.decoded("DTSTAMP"),
            "dtstart": e.decoded("DTSTART"), "dtend": e.decoded("DTEND"),
            "summary": str(e["SUMMARY"]), "description": str(e.get("DESCRIPTION", "")),
            "url": str(e["URL"]), "class": str(e["CLASS"]), "transp": str(e["TRANSP"]),
            "alarms": [a.decoded("TRIGGER") for a in e.walk("VALARM")],
        }
        for e in calendar.walk("VEVENT")
    ]


def floor_render(events: list[dict[str, Any]]) -> bytes:
    """Only icalendar: the same events built from ready values and serialized."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//floor//EN")
    calendar.add("version", "2.0")
    for values in events:
        event = icalendar.Event()
        for name in ("uid", "dtstamp", "dtstart", "dtend", "summary", "description", "url",
                     "class", "transp"):
            if values[name]:
                event.add(name, values[name])
        for trigger in values["alarms"]:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "Reminder")
            alarm.add("trigger", trigger)
            event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones(first_date=date(2030, 1, 1), last_date=date(2035, 1, 1))
    data: bytes = calendar.to_ical()
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--public", action="store_true",
                        help="private mode off: subjects and descriptions in the feed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = zdcal_settings(Path(folder), "http://127.0.0.1:9")

        async def prepare() -> str:
            async with await Runtime.open(settings) as runtime:
                return await populate(runtime, args.tasks, public=args.public)

        token = asyncio.run(prepare())
        with ServerThread(create_app(settings, run_workers=False)) as server, \
                httpx.Client(base_url=server.base_url, timeout=120) as client:
            path = f"/ics/{token}.ics"
            first = client.get(path)
            assert first.status_code == 200, first.text
            etag = first.headers["etag"]
            body = first.content
            vevents = body.count(b"BEGIN:VEVENT")
            assert vevents == args.tasks, vevents

            full = median_seconds(lambda: client.get(path).raise_for_status(), args.rounds)

            def not_modified() -> None:
                answer = client.get(path, headers={"If-None-Match": etag})
                assert answer.status_code == 304, answer.status_code

            conditional = median_seconds(not_modified, args.rounds)

        async def parts() -> tuple[float, float]:
            async with await Runtime.open(settings) as runtime:
                served = await served_feed(runtime.store, token)
                assert served is not None
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    await served_feed(runtime.store, token)
                    times.append(time.perf_counter() - start)
                render = median_seconds(
                    lambda: render_feed(served.entries, stamp=served.changed_at), args.rounds
                )
                return statistics.median(times), render

        plan, render = asyncio.run(parts())
        events = floor_events(body)
        floor = median_seconds(lambda: floor_render(events), args.rounds)

    ms = 1000.0
    print(f"ICS feed of one agent with {args.tasks:,} open tasks "
          f"({'public' if args.public else 'private (default)'} events, timed, 2 reminders; "
          f"{len(body) / 1024:,.0f} KiB), median of {args.rounds}:\n")
    print(table(
        ["measure", "ms", "x floor"],
        [
            ["GET 200 over HTTP (full render)", f"{full * ms:,.1f}", f"{full / floor:.2f}"],
            ["GET 304 over HTTP (If-None-Match)", f"{conditional * ms:,.1f}",
             f"{conditional / floor:.2f}"],
            ["  served_feed: lookup, read, plan, digest", f"{plan * ms:,.1f}",
             f"{plan / floor:.2f}"],
            ["  render_feed: VCALENDAR built + serialized", f"{render * ms:,.1f}",
             f"{render / floor:.2f}"],
            ["floor: icalendar alone, same events", f"{floor * ms:,.1f}", "1.00"],
        ],
    ))
    print(f"\n304 / 200: {conditional / full:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
