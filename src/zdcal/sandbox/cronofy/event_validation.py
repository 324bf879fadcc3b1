"""Is an upsert body one Cronofy would accept? Every documented limit, one 422 for all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from zdcal.sandbox.cronofy import assumptions as a
from zdcal.sandbox.cronofy.errors import FieldErrors, UnprocessableRequest
from zdcal.sandbox.cronofy.event_times import (
    EventTime,
    EventTimeError,
    parse_event_time,
    zone_named,
)

TRANSPARENCIES = ("opaque", "transparent")


@dataclass(frozen=True)
class ValidEvent:
    """An accepted upsert body and its parsed times."""

    event_id: str
    start: EventTime
    end: EventTime
    body: dict[str, Any]


def _check_text(
    errors: FieldErrors, body: dict[str, Any], field: str, limit: int, required: bool
) -> None:
    value = body.get(field)
    if value is None or value == "":
        if required:
            errors.add(field, a.ERROR_REQUIRED, f"{field} must be specified")
    elif not isinstance(value, str):
        errors.add(field, a.ERROR_INVALID_TYPE, f"{field} must be a string")
    elif len(value) > limit:
        errors.add(field, a.ERROR_TOO_LONG, f"{field} must be at most {limit} characters")


def _check_time(errors: FieldErrors, body: dict[str, Any], field: str) -> EventTime | None:
    raw = body.get(field)
    if raw is None or raw == "":
        errors.add(field, a.ERROR_REQUIRED, f"{field} must be specified")
        return None
    try:
        return parse_event_time(raw)
    except EventTimeError as exc:
        errors.add(field, exc.key, f"{field}: {exc.description}")
        return None


def _check_order(errors: FieldErrors, start: EventTime, end: EventTime) -> None:
    if start.all_day != end.all_day:
        errors.add("end", a.ERROR_INVALID, "start and end must both be dates or both be times")
    elif end.value <= start.value:  # same kind (both dates or both times), checked above
        errors.add("end", a.ERROR_END_BEFORE_START, "end must be after start")


def _check_reminders(errors: FieldErrors, reminders: object) -> None:
    if not isinstance(reminders, list):
        errors.add("reminders", a.ERROR_INVALID_TYPE, "reminders must be an array")
        return
    if len(reminders) > a.REMINDERS_MAX_COUNT:
        errors.add("reminders", a.ERROR_TOO_MANY, f"at most {a.REMINDERS_MAX_COUNT} reminders")
    for reminder in reminders:
        minutes = reminder.get("minutes") if isinstance(reminder, dict) else None
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            errors.add("reminders", a.ERROR_INVALID, "each reminder needs integer minutes")
        elif not 0 <= minutes <= a.REMINDER_MAX_MINUTES:
            errors.add("reminders", a.ERROR_INVALID, f"minutes must be 0..{a.REMINDER_MAX_MINUTES}")


def _check_optional_fields(errors: FieldErrors, body: dict[str, Any]) -> None:
    tzid = body.get("tzid")
    if tzid is not None and (not isinstance(tzid, str) or zone_named(tzid) is None):
        errors.add("tzid", a.ERROR_UNKNOWN_TZID, f"unknown tzid {tzid!r}")
    transparency = body.get("transparency")
    if transparency is not None and transparency not in TRANSPARENCIES:
        errors.add("transparency", a.ERROR_INVALID, "transparency must be opaque or transparent")
    private = body.get("event_private")
    if private is not None and not isinstance(private, bool):
        errors.add("event_private", a.ERROR_INVALID_TYPE, "event_private must be a boolean")
    if "reminders" in body and body["reminders"] is not None:
        _check_reminders(errors, body["reminders"])
    url = body.get("url")
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            errors.add("url", a.ERROR_INVALID, "url must be an absolute http(s) URL")
        elif len(url) > a.URL_MAX_LENGTH:
            errors.add("url", a.ERROR_TOO_LONG, f"url must be at most {a.URL_MAX_LENGTH} chars")
    location = body.get("location")
    if location is not None and (
        not isinstance(location, dict) or not isinstance(location.get("description", ""), str)
    ):
        errors.add("location", a.ERROR_INVALID, "location must be {description: string}")


def validate_upsert(body: object) -> ValidEvent:
    """Accept ``body`` or raise :class:`~zdcal.sandbox.cronofy.errors.UnprocessableRequest`."""
    if not isinstance(body, dict):
        raise UnprocessableRequest(
            {"event": [{"key": a.ERROR_INVALID_TYPE, "description": "must be a JSON object"}]}
        )
    errors = FieldErrors()
    _check_text(errors, body, "event_id", a.EVENT_ID_MAX_LENGTH, required=True)
    _check_text(errors, body, "summary", 1024, required=True)
    _check_text(errors, body, "description", 4096, required=False)
    start = _check_time(errors, body, "start")
    end = _check_time(errors, body, "end")
    if start is not None and end is not None:
        _check_order(errors, start, end)
    _check_optional_fields(errors, body)
    errors.raise_if_any()
    assert start is not None
    assert end is not None
    return ValidEvent(str(body["event_id"]), start, end, body)
