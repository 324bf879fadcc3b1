"""The engine world with Google Calendar agents: the Zendesk and Google simulators on
loopback and zdcal's runtime. Each owner ("ada", "bob", ...) is a Google account added to
the simulator when first connected, with a primary calendar ("work") and a second one
("tasks"); its tokens are minted by the simulator as if the user had consented."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from direct_world import DirectWorld
from world import open_world

from google_backend.google_backend_support import consent
from zdcal.store import CalendarTokens


def google_email(owner: str) -> str:
    """The Google account of ``owner`` (its primary calendar's id, as at Google)."""
    return f"{owner}@gmail.test"


def google_id(event_id: str) -> str:
    """zdcal's event id as Google knows it: base32hex, lowercase, unpadded (the alphabet
    Google allows for client-chosen ids)."""
    return base64.b32hexencode(event_id.encode()).decode().rstrip("=").lower()


def zdcal_id(google_event_id: str) -> str | None:
    """zdcal's event id of a Google event id; None: not one zdcal chose."""
    text = google_event_id.upper()
    try:
        decoded = base64.b32hexdecode(text + "=" * (-len(text) % 8)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded.startswith("zdcal-") else None


def _time_text(when: dict[str, str]) -> str:
    """An EventDateTime as the other worlds report times: a date, or a UTC instant."""
    if "date" in when:
        return when["date"]
    moment = datetime.fromisoformat(when["dateTime"].replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class GoogleWorld(DirectWorld):
    gc: httpx.Client | None = None
    made: set[str] = field(default_factory=set)
    backend = "google"

    @property
    def simulator(self) -> httpx.Client:
        assert self.gc is not None
        return self.gc

    google = simulator

    def calendar(self, owner: str, name: str = "work") -> str:
        email = google_email(owner)
        return email if name == "work" else f"{name}-{owner}@group.calendar.google.test"

    def add_user(self, owner: str) -> None:
        """Add ``owner``'s Google account (both calendars) to the simulator, once."""
        if owner in self.made:
            return
        response = self.google.post("/_sandbox/users", json={"users": [{
            "email": google_email(owner),
            "calendars": [{"summary": "Work", "time_zone": "Europe/London"},
                          {"summary": "Tasks", "calendar_id": self.calendar(owner, "tasks")}],
        }]})
        assert response.status_code == 200, response.text
        self.made.add(owner)

    def authorize(self, owner: str) -> CalendarTokens:
        """A token pair for ``owner``'s Google account, as if they had consented."""
        self.add_user(owner)
        answer = self.google.post(f"/_sandbox/users/{google_email(owner)}/tokens")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        expires = datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
        return CalendarTokens(body["access_token"], body["refresh_token"], expires)

    def account_id(self, owner: str) -> str:
        return google_email(owner)

    def raw_events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every event of a simulated calendar as the API shows it (cancelled ones too);
        none for a calendar that does not exist (an owner who never connected)."""
        response = self.google.get(f"/_sandbox/calendars/{calendar_id}/events")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The live events zdcal named, by zdcal's event id."""
        view: dict[str, dict[str, Any]] = {}
        for item in self.raw_events(calendar_id):
            event_id = zdcal_id(item["id"])
            if event_id is None or item.get("status") == "cancelled":
                continue
            view[event_id] = {
                "event_id": event_id, "google_id": item["id"], "etag": item["etag"],
                "summary": item["summary"],
                "start": _time_text(item["start"]), "end": _time_text(item["end"]),
                "url": item.get("source", {}).get("url", ""),
                "private": item.get("visibility") == "private",
                "reminders": item.get("reminders", {}),
                "transparency": item.get("transparency", "opaque"),
            }
        return view

    def move_event(self, calendar_id: str, event_id: str, start: str, end: str) -> None:
        """The user drags the event in Google Calendar (dates, or UTC instants)."""
        def when(text: str) -> dict[str, str]:
            return {"dateTime": text} if "T" in text else {"date": text}

        response = self.google.patch(
            f"/_sandbox/calendars/{calendar_id}/events/{google_id(event_id)}",
            json={"start": when(start), "end": when(end)},
        )
        assert response.status_code == 200, response.text

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """The user deletes the event in Google Calendar."""
        response = self.google.delete(
            f"/_sandbox/calendars/{calendar_id}/events/{google_id(event_id)}"
        )
        assert response.status_code == 204, response.text

    def insert(self, owner: str, event_id: str, summary: str, day: str,
               calendar_id: str | None = None) -> None:
        """An all-day event named by ``event_id``, inserted through Google's API with
        ``owner``'s own token: what a write leaves when its record was never committed."""
        token = self.authorize(owner).access_token
        next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
        response = self.google.post(
            f"/calendar/v3/calendars/{calendar_id or self.calendar(owner)}/events",
            headers={"Authorization": f"Bearer {token}"},
            json={"id": google_id(event_id), "summary": summary,
                  "start": {"date": day}, "end": {"date": next_day}},
        )
        assert response.status_code == 200, response.text

    def revoke(self, owner: str) -> None:
        self.google.post(f"/_sandbox/users/{google_email(owner)}/revoke").raise_for_status()

    async def sign_in(self, authorize_url: str, owner: str) -> str:
        async with httpx.AsyncClient(timeout=10) as http:
            return await consent(http, authorize_url, google_email(owner))

    def expire_read_tokens(self) -> None:
        self.google.post("/_sandbox/sync-tokens/expire").raise_for_status()


@contextmanager
def open_google_world(data_dir: Path, database_url: str) -> Iterator[GoogleWorld]:
    """:func:`open_world` with the Google simulator, whose agents connect with Google."""
    with open_world(data_dir, database_url, google=True) as world:
        assert world.sandbox.google is not None
        with httpx.Client(base_url=world.sandbox.google.base_url, timeout=30) as gc:
            yield GoogleWorld(world.sandbox, world.settings, world.zd, world.cr, gc=gc)
