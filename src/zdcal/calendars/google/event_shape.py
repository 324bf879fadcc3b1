"""One task's event as a Google Calendar Event, and its times read back.

Input is the event body the domain builds for every backend
(:func:`zdcal.domain.event_body`: ``event_id``, ``summary``, ``description``, ``start``,
``end``, ``tzid``, ``url``, ``transparency``, ``event_private``, ``reminders``); only
its spelling differs here:

* ``id``: zdcal's event id in base32hex (:mod:`.event_ids`); ``status: confirmed``, so
  an update of an event the agent deleted brings it back (Zendesk wins).
* All-day: ``start.date``/``end.date``, the end exclusive, as the domain gives them.
  Timed: the domain's UTC instants as ``dateTime`` with the agent's ``timeZone``, so
  Google shows the event in the agent's zone (DST was resolved once, in the domain).
* ``transparency`` as the domain says: ``transparent`` (free) unless the agent asked to
  show tasks as busy, for all-day and timed events alike (the agent's choice, the same
  on every backend).
* Reminders: ``useDefault: false`` with up to 5 popup overrides (Google's maximum);
  none chosen → ``useDefault: true``, the calendar's own reminders, as the domain wants.
  An update replaces the whole event, so dropping every reminder is sent too.
* Private mode: ``visibility: private`` (else ``default``: the calendar's setting).
* ``extendedProperties.private``: zdcal's mark and the account key and ticket id (seen
  only on this calendar's copy), so an event can be told ours without its id.
* ``source``: the ticket link (Google shows it as the event's origin).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from zdcal.calendars.google.event_ids import google_event_id
from zdcal.domain.event_time import parse_event_time

MAX_OVERRIDES = 5
"""Google's most reminder overrides per event (Event.reminders.overrides)."""

MARK_KEY = "zdcal"
ACCOUNT_KEY = "zdcalAccount"
TICKET_KEY = "zdcalTicket"
SOURCE_TITLE = "Zendesk"


def google_event(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Event resource for insert or update (a whole replacement) of one task."""
    event_id = str(body["event_id"])
    start, end = str(body["start"]), str(body["end"])
    zone = str(body.get("tzid") or "UTC")
    minutes = sorted({int(r["minutes"]) for r in body.get("reminders") or ()})[:MAX_OVERRIDES]
    account, _, ticket = event_id.removeprefix(f"{MARK_KEY}-").rpartition("-")
    event: dict[str, Any] = {
        "id": google_event_id(event_id),
        "status": "confirmed",
        "summary": str(body["summary"]),
        "description": str(body.get("description") or ""),
        "start": _when(start, zone),
        "end": _when(end, zone),
        "transparency": "opaque" if body.get("transparency") == "opaque" else "transparent",
        "visibility": "private" if body.get("event_private") else "default",
        "reminders": (
            {"useDefault": False,
             "overrides": [{"method": "popup", "minutes": m} for m in minutes]}
            if minutes else {"useDefault": True}
        ),
        "extendedProperties": {
            "private": {MARK_KEY: "1", ACCOUNT_KEY: account, TICKET_KEY: ticket}
        },
    }
    if body.get("url"):
        event["source"] = {"title": SOURCE_TITLE, "url": str(body["url"])}
    return event


def _when(value: str, zone: str) -> dict[str, str]:
    moment = parse_event_time(value)
    if isinstance(moment, datetime):
        return {"dateTime": _utc_text(moment), "timeZone": zone}
    return {"date": moment.isoformat()}


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_text(when: object) -> str:
    """An EventDateTime read back in the text the other backends report: ``2026-03-08``
    for a date, ``2026-03-08T14:00:00Z`` (UTC) for a time; "" when unreadable."""
    if not isinstance(when, Mapping):
        return ""
    if isinstance(when.get("date"), str):
        return str(when["date"])
    raw = when.get("dateTime")
    if not isinstance(raw, str):
        return ""
    try:
        moment = parse_event_time(raw)
    except ValueError:
        return ""
    return _utc_text(moment) if isinstance(moment, datetime) else moment.isoformat()
