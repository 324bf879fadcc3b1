"""Resources as Google shows them: Event, Events, CalendarListEntry, CalendarList."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from zdcal.sandbox.google.model import Calendar, StoredEvent


def rfc3339(moment: datetime) -> str:
    """Google's timestamps: UTC with milliseconds, e.g. ``2024-05-01T09:00:00.000Z``."""
    millis = f"{moment.microsecond // 1000:03d}"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z"


def event_etag(event: StoredEvent) -> str:
    return f'"{int(event.updated.timestamp() * 1000)}{event.change_no:06d}"'


def render_event(
    event: StoredEvent, calendar: Calendar, *, minimal: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": event_etag(event),
        "id": event.event_id,
        "status": event.fields.get("status", "confirmed"),
    }
    if minimal:
        body["updated"] = rfc3339(event.updated)
        return body
    owner = {"email": calendar.owner, "self": True}
    organizer = {"email": calendar.calendar_id, "displayName": calendar.summary, "self": True}
    body.update(
        htmlLink=f"https://www.google.com/calendar/event?eid={event.event_id}",
        created=rfc3339(event.created),
        updated=rfc3339(event.updated),
        creator=owner,
        organizer=organizer,
        iCalUID=event.ical_uid,
        sequence=event.sequence,
        reminders={"useDefault": True},
        eventType="default",
    )
    body.update({k: v for k, v in event.fields.items() if k != "status"})
    return body


def calendar_etag(calendar: Calendar) -> str:
    digest = hashlib.sha256(f"{calendar.calendar_id}\n{calendar.summary}".encode()).digest()
    return f'"{int.from_bytes(digest[:6], "big")}"'


def render_calendar_entry(calendar: Calendar) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": calendar_etag(calendar),
        "id": calendar.calendar_id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "colorId": "14",
        "backgroundColor": "#9fe1e7",
        "foregroundColor": "#000000",
        "selected": True,
        "accessRole": calendar.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if calendar.primary else [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if calendar.primary:
        entry["primary"] = True
        entry["notificationSettings"] = {
            "notifications": [{"type": "eventCreation", "method": "email"}]
        }
    return entry
