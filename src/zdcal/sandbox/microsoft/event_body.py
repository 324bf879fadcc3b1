"""An event body as a client sends it: checked against Outlook's rules, kept as Outlook would."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError, invalid, validation_failed

WRITABLE = (
    "subject", "body", "start", "end", "isAllDay", "isReminderOn", "reminderMinutesBeforeStart",
    "sensitivity", "showAs", "importance", "categories", "location", "locations", "attendees",
    "responseRequested", "allowNewTimeProposals", "hideAttendees", "isOnlineMeeting",
    "onlineMeetingProvider", "recurrence",
)
"""The event properties the simulator keeps (event resource page, writable ones)."""

CONTROLLED = ("transactionId", "singleValueExtendedProperties")
"""Writable, but kept outside ``fields`` (see model.StoredEvent)."""

READ_ONLY = (
    "id", "@odata.etag", "@odata.type", "@odata.context", "changeKey", "createdDateTime",
    "lastModifiedDateTime", "iCalUId", "uid", "type", "webLink", "bodyPreview", "isCancelled",
    "isOrganizer", "isDraft", "seriesMasterId", "organizer", "responseStatus", "hasAttachments",
    "originalStartTimeZone", "originalEndTimeZone", "onlineMeeting", "onlineMeetingUrl",
    "occurrenceId", "calendar", "attachments", "extensions", "instances",
    "multiValueExtendedProperties", "originalStart", "cancelledOccurrences",
    "exceptionOccurrences",
)
"""Accepted in a body and ignored (GUESS, see assumptions.UNKNOWN_PROPERTY)."""

_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?)?"
                    r"(Z|[+-]\d{2}:\d{2})?")


def zone_of(name: object) -> ZoneInfo:
    """A Windows or IANA zone name as a ZoneInfo; 400 when the simulator does not know it."""
    text = str(name) if isinstance(name, str) else ""
    try:
        return ZoneInfo(assumptions.WINDOWS_ZONES.get(text, text))
    except (ZoneInfoNotFoundError, ValueError):
        raise GraphError(400, assumptions.TIME_ZONE_NOT_SUPPORTED,
                         "A valid TimeZone value must be specified. The following TimeZone "
                         f"value is not supported: '{text}'.") from None


def local_time(value: dict[str, Any]) -> datetime:
    """The wall time of a ``dateTimeTimeZone`` in its own zone, naive, whole seconds."""
    text = value.get("dateTime")
    match = _LOCAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise invalid(f"Cannot convert the literal '{text}' to the expected type 'Edm.String'.",
                      "RequestBodyRead")
    day, hour, minute, second, offset = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{hour or '00'}:{minute or '00'}:{second or '00'}")
    except ValueError:
        raise validation_failed() from None
    zone = zone_of(value.get("timeZone"))
    if offset:
        sent = moment.replace(tzinfo=ZoneInfo("UTC")) if offset == "Z" else datetime.fromisoformat(
            moment.isoformat() + offset)
        moment = sent.astimezone(zone).replace(tzinfo=None)
    return moment


def instant(value: dict[str, Any]) -> datetime:
    """The moment a kept ``dateTimeTimeZone`` names, timezone-aware."""
    return local_time(value).replace(tzinfo=zone_of(value["timeZone"]))


def render_time(value: dict[str, Any], all_day: bool, zone_name: str | None) -> dict[str, str]:
    """A kept start/end as Graph answers it: in ``zone_name`` (Prefer: outlook.timezone, else
    UTC); an all-day event's midnights stay midnights (FACT: "always midnight-to-midnight")."""
    target = zone_name or assumptions.DEFAULT_RESPONSE_ZONE
    if all_day:
        local = local_time(value)
    else:
        local = instant(value).astimezone(zone_of(target)).replace(tzinfo=None)
    return {"dateTime": local.strftime(assumptions.DATE_TIME_FORMAT), "timeZone": target}


def check_body(body: dict[str, Any]) -> dict[str, Any]:
    """The writable properties of a create/PATCH body; 400 for a property the type lacks."""
    for key in body:
        if key not in WRITABLE and key not in CONTROLLED and key not in READ_ONLY and not (
            key.startswith("@odata.")
        ):
            raise GraphError(400, assumptions.UNKNOWN_PROPERTY,
                             f"The property '{key}' does not exist on type "
                             "'microsoft.graph.event'. Make sure to only use property names "
                             "that are defined by the type.")
    return {k: v for k, v in body.items() if k in WRITABLE}


def merge(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """PATCH: each sent property replaces the kept one whole; ``null`` clears it."""
    merged = dict(current)
    for key, value in sent.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Raise a 400 for the first thing Outlook would refuse; else the fields as kept."""
    kept = dict(fields)
    for name in ("start", "end"):
        value = fields.get(name)
        if not isinstance(value, dict):
            raise validation_failed()
        zone_of(value.get("timeZone"))
        kept[name] = {"dateTime": local_time(value).strftime(assumptions.DATE_TIME_FORMAT),
                      "timeZone": value["timeZone"]}
    start, end = instant(kept["start"]), instant(kept["end"])
    if end < start:
        raise validation_failed()
    if kept.get("isAllDay"):
        _check_all_day(kept, start, end)
    for name, allowed in assumptions.ENUMS.items():
        if name in kept and kept[name] not in allowed:
            raise invalid(f"Cannot convert the literal '{kept[name]}' to the expected type "
                          f"'microsoft.graph.{name}'.", "RequestBodyRead")
    for name in ("isAllDay", "isReminderOn", "responseRequested"):
        if name in kept and not isinstance(kept[name], bool):
            raise invalid(f"Invalid value for {name}.", "RequestBodyRead")
    minutes = kept.get("reminderMinutesBeforeStart")
    if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)
                                or minutes < 0):
        raise validation_failed()
    if "subject" in kept and not isinstance(kept["subject"], str):
        raise invalid("Invalid value for subject.", "RequestBodyRead")
    body = kept.get("body")
    if body is not None and (not isinstance(body, dict) or str(
        body.get("contentType", "text")
    ).lower() not in ("text", "html") or not isinstance(body.get("content", ""), str)):
        raise invalid("Invalid value for body.", "RequestBodyRead")
    _shapes(kept)
    if kept.get("recurrence") is not None:
        raise GraphError(400, "ErrorInvalidRequest",
                         "Recurring events are not simulated (zdcal sandbox).")
    return kept


def _shapes(kept: dict[str, Any]) -> None:
    """Collections and complex values must have their documented types (else OData refuses
    to read the body: 400 ``RequestBodyRead``)."""
    categories = kept.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise invalid("categories must be an array of strings.", "RequestBodyRead")
    for name in ("locations", "attendees"):
        items = kept.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise invalid(f"{name} must be an array of objects.", "RequestBodyRead")
    if not isinstance(kept.get("location", {}), dict):
        raise invalid("location must be an object.", "RequestBodyRead")


def _check_all_day(kept: dict[str, Any], start: datetime, end: datetime) -> None:
    """FACT (event resource): all-day start and end are midnights in one time zone, end after
    start (exclusive end: one day is midnight to next midnight)."""
    same_zone = kept["start"]["timeZone"] == kept["end"]["timeZone"]
    midnights = all(local_time(kept[n]).time() == time() for n in ("start", "end"))
    if not (same_zone and midnights) or end - start < timedelta(hours=23):
        raise validation_failed()
