"""One task's event as a Microsoft Graph event, and its times read back.

Input is the event body the domain builds for every backend
(:func:`zdcal.domain.event_body`); only its spelling differs here:

* ``subject`` and a plain-text ``body`` holding the description, the ticket link first
  (Outlook has no "source" field; the link in the body opens the ticket).
* All-day: ``isAllDay`` with midnight to midnight in the agent's zone (Graph refuses an
  all-day event whose start or end is not midnight in one zone), the end exclusive.
  Timed: the domain's UTC instants as the agent's local wall time with the agent's IANA
  zone name (Graph accepts IANA names beside Windows ones), so Outlook shows the event
  in the agent's zone; DST was resolved once, in the domain. An unknown zone: UTC.
* ``showAs``: all-day tasks are always ``free`` (a day-long busy block would hide the
  agent's real availability); timed ones follow the agent's busy/free choice.
* One reminder: Outlook keeps one per event (``isReminderOn``,
  ``reminderMinutesBeforeStart``); of several chosen, the earliest (the most minutes
  before) is kept. None chosen: both left out, so Outlook's default applies on create.
* ``sensitivity: private`` in private mode, else ``normal``.
* A single-value extended property holding zdcal's event id (which carries the account
  key and the ticket id): how zdcal finds its event again after a crash between the
  create and its record (``$filter`` on it), never creating a second one.
* ``transactionId`` (create only: Graph refuses to change it): zdcal's event id and a
  random suffix, so Graph drops a repeat of the same create request (a retry after a
  timeout), and a delta read, where extended properties cannot be expanded, still tells
  zdcal's events (and which) from the agent's own.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.domain.account import EVENT_ID_PREFIX
from zdcal.domain.event_time import parse_event_time

PROPERTY_ID = "String {8c5b1b3e-6f3d-4e5a-9a57-2f1c0d7e4b21} Name zdcalEvent"
"""The named extended property zdcal marks its events with (one fixed GUID: the
property set of this application)."""
TRANSACTION_SEPARATOR = "~"
_OURS = f"{EVENT_ID_PREFIX}-"
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def graph_event(body: Mapping[str, Any]) -> dict[str, Any]:
    """The properties zdcal sets on an event, for a create or a PATCH (a PATCH replaces
    each sent property whole)."""
    start, end = parse_event_time(str(body["start"])), parse_event_time(str(body["end"]))
    zone_name, zone = _zone(str(body.get("tzid") or "UTC"))
    all_day = not isinstance(start, datetime)
    event: dict[str, Any] = {
        "subject": str(body["summary"]),
        "body": {"contentType": "text", "content": _content(body)},
        "isAllDay": all_day,
        "start": _when(start, zone_name, zone),
        "end": _when(end, zone_name, zone),
        "showAs": "busy" if not all_day and body.get("transparency") == "opaque" else "free",
        "sensitivity": "private" if body.get("event_private") else "normal",
        "singleValueExtendedProperties": [
            {"id": PROPERTY_ID, "value": str(body["event_id"])},
        ],
    }
    minutes = [int(r["minutes"]) for r in body.get("reminders") or ()]
    if minutes:
        event["isReminderOn"] = True
        event["reminderMinutesBeforeStart"] = max(minutes)
    return event


def created_event(body: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`graph_event` with a fresh ``transactionId`` (for one create request)."""
    transaction = f"{body['event_id']}{TRANSACTION_SEPARATOR}{secrets.token_hex(6)}"
    return {**graph_event(body), "transactionId": transaction}


def event_id_of(item: Mapping[str, Any]) -> str | None:
    """zdcal's event id of a listed event (by its ``transactionId``); None: not ours."""
    transaction = item.get("transactionId")
    if not isinstance(transaction, str):
        return None
    event_id, separator, _ = transaction.rpartition(TRANSACTION_SEPARATOR)
    return event_id if separator and event_id.startswith(_OURS) else None


def _content(body: Mapping[str, Any]) -> str:
    text = str(body.get("description") or "")
    url = str(body.get("url") or "")
    return f"{url}\n\n{text}" if url and url not in text else text


def _zone(name: str) -> tuple[str, ZoneInfo]:
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC", ZoneInfo("UTC")


def _when(moment: date | datetime, zone_name: str, zone: ZoneInfo) -> dict[str, str]:
    if isinstance(moment, datetime):
        local = moment.astimezone(zone).replace(tzinfo=None)
    else:
        local = datetime.combine(moment, time())
    return {"dateTime": local.strftime(_LOCAL_FORMAT), "timeZone": zone_name}


def time_text(when: object, all_day: bool) -> str:
    """A dateTimeTimeZone read back in the text the other backends report: ``2026-03-08``
    for an all-day event's day, ``2026-03-08T14:00:00Z`` (UTC) for a time; "" when
    unreadable."""
    if not isinstance(when, Mapping) or not isinstance(when.get("dateTime"), str):
        return ""
    raw = str(when["dateTime"])
    try:
        local = datetime.fromisoformat(raw[:19])
    except ValueError:
        return ""
    if all_day:
        return local.date().isoformat()
    _, zone = _zone(str(when.get("timeZone") or "UTC"))
    return local.replace(tzinfo=zone).astimezone(UTC).strftime(_UTC_FORMAT)
