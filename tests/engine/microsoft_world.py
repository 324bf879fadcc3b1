"""The engine world with Microsoft 365 agents: the Zendesk and Microsoft Graph simulators on
loopback and zdcal's runtime. Each owner ("ada", "bob", ...) is a mailbox added to the
simulator when first named, with a default calendar ("work") and a second one ("tasks");
its tokens are minted by the simulator as if the user had consented. Graph chooses the
calendar and event ids, so the world looks them up rather than spelling them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from direct_world import DirectWorld
from world import open_world

from microsoft_backend.ms_backend_support import consent, marker
from zdcal.calendars.microsoft.event_shape import PROPERTY_ID
from zdcal.clock import SystemClock
from zdcal.store import CalendarTokens

CALENDAR_NAMES = {"work": "Calendar", "tasks": "Tasks"}
NOW = datetime(2029, 10, 1, tzinfo=UTC)
"""The time zdcal, Zendesk and Graph live at: zdcal reads Outlook's changes over a window
from a year back to two years ahead, and the shared scenarios' tasks are due in 2030."""


def ms_email(owner: str) -> str:
    """The mailbox of ``owner``."""
    return f"{owner}@contoso.test"


def _time_text(when: dict[str, str], all_day: bool) -> str:
    """A dateTimeTimeZone as the other worlds report times: a date, or a UTC instant."""
    local = datetime.fromisoformat(when["dateTime"][:19])
    if all_day:
        return local.date().isoformat()
    moment = local.replace(tzinfo=ZoneInfo(when.get("timeZone") or "UTC"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link_of(item: dict[str, Any]) -> str:
    """The ticket link: the first line of the body (Outlook has no "source" field)."""
    first = str(item.get("body", {}).get("content", "")).split("\n", 1)[0]
    return first if first.startswith("http") else ""


@dataclass
class MicrosoftWorld(DirectWorld):
    gc: httpx.Client | None = None
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each owner's mailbox as the simulator lists it (its id and calendar ids)."""
    backend = "microsoft"

    @property
    def simulator(self) -> httpx.Client:
        assert self.gc is not None
        return self.gc

    graph = simulator

    def calendar(self, owner: str, name: str = "work") -> str:
        """Graph's id of ``owner``'s calendar ``name`` (the mailbox is added if new)."""
        self.add_user(owner)
        work, tasks = self.users[owner]["calendars"][:2]
        return str(work if name == "work" else tasks)

    def account_id(self, owner: str) -> str:
        """The mailbox's Graph id (``/me``'s ``id``)."""
        self.add_user(owner)
        return str(self.users[owner]["id"])

    def add_user(self, owner: str) -> None:
        """Add ``owner``'s mailbox (both calendars, the default one first), once."""
        if owner in self.users:
            return
        email = ms_email(owner)
        response = self.graph.post("/_sandbox/users", json={"users": [{
            "email": email, "displayName": owner.title(),
            "calendars": [{"name": CALENDAR_NAMES["work"]}, {"name": CALENDAR_NAMES["tasks"]}],
        }]})
        assert response.status_code == 200, response.text
        self.users[owner] = next(u for u in response.json()["users"] if u["email"] == email)

    def authorize(self, owner: str) -> CalendarTokens:
        """A token pair for ``owner``'s mailbox, as if they had consented."""
        self.add_user(owner)
        answer = self.graph.post(f"/_sandbox/users/{ms_email(owner)}/tokens")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert self.clock is not None
        expires = self.clock.now() + timedelta(seconds=int(body["expires_in"]))
        return CalendarTokens(body["access_token"], body["refresh_token"], expires)

    def _owner_of(self, calendar_id: str) -> str | None:
        return next((o for o, u in self.users.items() if calendar_id in u["calendars"]), None)

    def raw_events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every live event of a simulated calendar as Graph shows it (with the extended
        properties); none for a calendar nobody was given."""
        owner = self._owner_of(calendar_id)
        if owner is None:
            return []
        response = self.graph.get(f"/_sandbox/users/{ms_email(owner)}/events")
        response.raise_for_status()
        return [e for e in response.json()["value"] if e["calendarId"] == calendar_id]

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The live events zdcal marked, by zdcal's event id."""
        view: dict[str, dict[str, Any]] = {}
        for item in self.raw_events(calendar_id):
            event_id = marker(item)
            if event_id is None:
                continue
            all_day = bool(item["isAllDay"])
            view[event_id] = {
                "event_id": event_id, "graph_id": item["id"], "etag": item["changeKey"],
                "summary": item["subject"],
                "start": _time_text(item["start"], all_day),
                "end": _time_text(item["end"], all_day),
                "url": _link_of(item), "private": item["sensitivity"] == "private",
                "show_as": item["showAs"], "reminder": (
                    item["reminderMinutesBeforeStart"] if item["isReminderOn"] else None),
                "time_zone": item["originalStartTimeZone"],
            }
        return view

    def _graph_id(self, calendar_id: str, event_id: str) -> str:
        return str(self.events(calendar_id)[event_id]["graph_id"])

    def move_event(self, calendar_id: str, event_id: str, start: str, end: str) -> None:
        """The user drags the event in Outlook (dates, or UTC instants)."""
        all_day = "T" not in start
        zone = self.events(calendar_id)[event_id]["time_zone"] if all_day else "UTC"

        def when(text: str) -> dict[str, str]:
            moment = f"{text}T00:00:00" if all_day else text.rstrip("Z")
            return {"dateTime": moment, "timeZone": zone}

        response = self.graph.patch(
            f"/_sandbox/events/{self._graph_id(calendar_id, event_id)}",
            json={"isAllDay": all_day, "start": when(start), "end": when(end)},
        )
        assert response.status_code == 200, response.text

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """The user deletes the event in Outlook."""
        response = self.graph.delete(f"/_sandbox/events/{self._graph_id(calendar_id, event_id)}")
        assert response.status_code == 204, response.text

    def insert(self, owner: str, event_id: str, summary: str, day: str,
               calendar_id: str | None = None) -> None:
        """An all-day event marked with ``event_id`` (the property and the transaction id
        zdcal writes), created through Graph with ``owner``'s own token: what a create
        leaves when its record was never committed."""
        token = self.authorize(owner).access_token
        next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
        response = self.graph.post(
            f"/v1.0/me/calendars/{calendar_id or self.calendar(owner)}/events",
            headers={"Authorization": f"Bearer {token}"},
            json={"subject": summary, "isAllDay": True,
                  "start": {"dateTime": f"{day}T00:00:00", "timeZone": "UTC"},
                  "end": {"dateTime": f"{next_day}T00:00:00", "timeZone": "UTC"},
                  "transactionId": f"{event_id}~crashed",
                  "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": event_id}]},
        )
        assert response.status_code == 201, response.text

    def advance(self, seconds: float) -> None:
        """Time passes for zdcal, Zendesk and Graph alike."""
        assert isinstance(self.clock, SystemClock)
        self.clock.offset_seconds += seconds
        for simulator in (self.graph, self.zd):
            simulator.post("/_sandbox/clock", json={"advance_seconds": seconds}
                           ).raise_for_status()

    def revoke(self, owner: str) -> None:
        self.graph.post(f"/_sandbox/users/{ms_email(owner)}/revoke").raise_for_status()

    async def sign_in(self, authorize_url: str, owner: str) -> str:
        async with httpx.AsyncClient(base_url=str(self.graph.base_url), timeout=10) as http:
            return (await consent(http, authorize_url, ms_email(owner)))["code"][0]

    def expire_read_tokens(self) -> None:
        self.graph.post("/_sandbox/delta-tokens/expire").raise_for_status()


@contextmanager
def open_microsoft_world(data_dir: Path, database_url: str) -> Iterator[MicrosoftWorld]:
    """:func:`open_world` with the Microsoft simulator, whose agents connect with Outlook."""
    with open_world(data_dir, database_url, microsoft=True) as world:
        assert world.sandbox.microsoft is not None
        offset = (NOW - datetime.now(UTC)).total_seconds()
        with httpx.Client(base_url=world.sandbox.microsoft.base_url, timeout=30) as gc:
            for simulator in (gc, world.zd):
                simulator.post("/_sandbox/clock", json={"offset_seconds": offset}
                               ).raise_for_status()
            yield MicrosoftWorld(world.sandbox, world.settings, world.zd, world.cr,
                                 clock=SystemClock(offset), gc=gc)
