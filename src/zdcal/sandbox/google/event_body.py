"""An Event body as sent by a client: checked against Google's rules, kept as Google would."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError, invalid

_EVENT_ID = re.compile(assumptions.EVENT_ID_PATTERN)


def check_event_id(event_id: object) -> str:
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise GoogleApiError(
            400, assumptions.INVALID_EVENT_ID_REASON, assumptions.INVALID_EVENT_ID_MESSAGE,
            location="id",
        )
    return event_id


def writable_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The fields the simulator keeps; read-only and unknown ones are dropped."""
    return {k: v for k, v in body.items() if k in assumptions.WRITABLE_FIELDS and v is not None}


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge field by field, arrays and scalars replace, null clears."""
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Raise a 400 for the first thing Google would refuse in ``fields``; else the fields as
    Google keeps them (a ``dateTime`` sent without offset gets its time zone's offset)."""
    start = _instant(fields.get("start"), "start")
    end = _instant(fields.get("end"), "end")
    if type(start) is not type(end):
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if end < start:
        raise GoogleApiError(
            400, "timeRangeEmpty", assumptions.TIME_RANGE_EMPTY_MESSAGE, domain="calendar",
            location="end",
        )
    _enum(fields, "visibility", assumptions.VISIBILITY_VALUES)
    _enum(fields, "transparency", assumptions.TRANSPARENCY_VALUES)
    _enum(fields, "status", assumptions.STATUS_VALUES)
    _strings(fields, ("summary", "description", "location", "colorId"))
    _reminders(fields.get("reminders"))
    _extended_properties(fields.get("extendedProperties"))
    _source(fields.get("source"))
    kept = dict(fields)
    for name, moment in (("start", start), ("end", end)):
        if isinstance(moment, datetime):
            kept[name] = {**fields[name], "dateTime": moment.isoformat()}
    return kept


def _instant(value: object, name: str) -> date | datetime:
    if value is None:
        raise GoogleApiError(400, "required", f"Missing {name} time.", location=name)
    if not isinstance(value, dict):
        raise invalid(f"Invalid {name} time.", name)
    zone = value.get("timeZone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("Invalid time zone definition for start time.", name) from None
    if "date" in value and "dateTime" in value:
        raise invalid(f"Invalid {name} time.", name)
    try:
        if "date" in value:
            return date.fromisoformat(str(value["date"]))
        moment = datetime.fromisoformat(str(value.get("dateTime")).replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid {name} time.", name) from None
    if moment.tzinfo is None:
        if zone is None:
            raise invalid(f"Missing time zone definition for {name} time.", name)
        moment = moment.replace(tzinfo=ZoneInfo(str(zone)))
    return moment


def _enum(fields: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    if name in fields and fields[name] not in allowed:
        raise invalid(f"Invalid {name} value.", name)


def _strings(fields: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in fields and not isinstance(fields[name], str):
            raise invalid(f"Invalid value for: {name}", name)


def _reminders(reminders: object) -> None:
    if reminders is None:
        return
    if not isinstance(reminders, dict):
        raise invalid("Invalid reminders.", "reminders")
    overrides = reminders.get("overrides", [])
    if not isinstance(overrides, list):
        raise invalid("Invalid reminders.", "reminders.overrides")
    if len(overrides) > assumptions.REMINDERS_MAX_OVERRIDES:
        raise invalid("Too many reminders.", "reminders.overrides")
    for override in overrides:
        if not isinstance(override, dict) or override.get("method") not in (
            assumptions.REMINDER_METHODS
        ):
            raise invalid("Invalid reminder method.", "reminders.overrides")
        minutes = override.get("minutes")
        if not isinstance(minutes, int) or not 0 <= minutes <= assumptions.REMINDER_MAX_MINUTES:
            raise invalid("Invalid reminder minutes.", "reminders.overrides")
    if reminders.get("useDefault") and overrides:
        raise GoogleApiError(
            400, assumptions.DEFAULT_AND_OVERRIDES_REASON, assumptions.DEFAULT_AND_OVERRIDES_MESSAGE
        )


def _extended_properties(properties: object) -> None:
    if properties is None:
        return
    if not isinstance(properties, dict):
        raise invalid("Invalid extended properties.", "extendedProperties")
    for scope, values in properties.items():
        if scope not in ("private", "shared") or not isinstance(values, dict):
            raise invalid("Invalid extended properties.", "extendedProperties")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
            raise invalid("Invalid extended properties.", "extendedProperties")


def _source(source: object) -> None:
    if source is None:
        return
    url = source.get("url") if isinstance(source, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise invalid("Invalid source URL.", "source.url")
