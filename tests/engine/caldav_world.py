"""The engine world with CalDAV agents: the Zendesk simulator, a real CalDAV server
(Radicale or Xandikos, started once per session) and zdcal's runtime. Each agent's
calendars ("work", "tasks") are made on the server for the test alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
from world import World, open_world

from caldav_backend.caldav_servers import CalDAVServer, make_calendar
from zdcal.calendars.caldav.client import CalDAVClient
from zdcal.calendars.caldav.ical import read_task_times
from zdcal.store import CalDAVAccount, CalendarTokens

CALENDAR_NAMES = ("work", "tasks")


@dataclass
class CalDAVWorld(World):
    server: CalDAVServer | None = None
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    made: set[str] = field(default_factory=set)
    backend = "caldav"

    @property
    def dav(self) -> CalDAVServer:
        assert self.server is not None
        return self.server

    def calendar(self, owner: str, name: str = "work") -> str:
        return f"{self.dav.calendar_home_url}{self.prefix}-{owner}-{name}/"

    def link(self, owner: str) -> tuple[str, str, CalendarTokens | CalDAVAccount]:
        """The server's one account, which holds every agent's calendars (``owner``'s
        made on first use)."""
        if owner not in self.made:
            with self.dav.http() as http:
                for name in CALENDAR_NAMES:
                    make_calendar(http, self.calendar(owner, name), name.title())
            self.made.add(owner)
        account = CalDAVAccount(self.dav.calendar_home_url, self.dav.username, self.dav.password)
        return account.url, "", account

    def default_calendar(self, owner: str) -> str:
        return self.calendar(owner)

    def objects(self, calendar_id: str) -> dict[str, tuple[str, bytes]]:
        """Every object of a calendar on the server: {href: (etag, data)}."""

        async def read() -> dict[str, tuple[str, bytes]]:
            async with CalDAVClient(self.dav.url, self.dav.username, self.dav.password,
                                    verify=self.dav.verify) as client:
                hrefs = list(await client.etags(calendar_id))
                found = await client.multiget(calendar_id, hrefs)
            return {o.url: (o.etag or "", o.data) for o in found}

        return asyncio.run(read())

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        view: dict[str, dict[str, Any]] = {}
        if calendar_id.removeprefix(self.dav.calendar_home_url).split("-")[1] not in self.made:
            return view  # an owner who never connected has no calendars on the server
        for href, (etag, data) in self.objects(calendar_id).items():
            event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
            start, end = read_task_times(data).as_text()
            uid = str(event["UID"])
            view[uid] = {
                "event_id": uid, "summary": str(event["SUMMARY"]), "start": start, "end": end,
                "url": str(event.get("URL", "")), "href": href, "etag": etag,
                "private": str(event.get("CLASS", "")) == "PRIVATE",
                "alarms": len(event.walk("VALARM")),
            }
        return view

    def move_event(self, calendar_id: str, event_id: str, start: str, end: str) -> None:
        """The agent's calendar app moves the event (a PUT over its version)."""
        event = self.events(calendar_id)[event_id]
        data = self.objects(calendar_id)[event["href"]][1]
        calendar = icalendar.Calendar.from_ical(data)
        vevent = calendar.walk("VEVENT")[0]

        def value(text: str) -> date | datetime:
            if "T" in text:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
            return date.fromisoformat(text)

        for name, text in (("DTSTART", start), ("DTEND", end)):
            del vevent[name]
            vevent.add(name, value(text))
        with self.dav.http() as http:
            response = http.put(event["href"], content=calendar.to_ical(), headers={
                "Content-Type": "text/calendar", "If-Match": event["etag"]})
        assert response.status_code in (201, 204), response.text

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """The agent's calendar app deletes the event's object."""
        event = self.events(calendar_id)[event_id]
        with self.dav.http() as http:
            assert http.delete(event["href"]).status_code in (200, 204)


@contextmanager
def open_caldav_world(
    data_dir: Path, database_url: str, server: CalDAVServer
) -> Iterator[CalDAVWorld]:
    """:func:`open_world` with CalDAV agents on ``server``."""
    with open_world(data_dir, database_url, caldav_ca_file=server.ca_file) as world:
        yield CalDAVWorld(world.sandbox, world.settings, world.zd, world.cr, server=server)
