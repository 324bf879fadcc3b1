"""Create, update and delete the events an application manages, and the user's own edits."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from zdcal.sandbox.cronofy import assumptions as a
from zdcal.sandbox.cronofy.errors import FieldErrors, ResourceNotFound, UnprocessableRequest
from zdcal.sandbox.cronofy.event_times import EventTimeError, parse_event_time
from zdcal.sandbox.cronofy.event_validation import validate_upsert
from zdcal.sandbox.cronofy.model import Account, Calendar, StoredEvent
from zdcal.sandbox.cronofy.store import SandboxState, new_id


def _granted_calendar(state: SandboxState, account: Account, calendar_id: str) -> Calendar:
    calendar = state.account_calendar(account, calendar_id)
    if calendar is None:
        raise ResourceNotFound(f"no calendar {calendar_id} for this account")
    return calendar


def _refuse_unwritable(calendar: Calendar) -> None:
    if calendar.deleted:
        key, text = a.ERROR_CALENDAR_DELETED, "the calendar has been deleted"
    elif calendar.readonly:
        key, text = a.ERROR_CALENDAR_READONLY, "the calendar is read-only"
    else:
        return
    raise UnprocessableRequest({"calendar_id": [{"key": key, "description": text}]})


def upsert_event(
    state: SandboxState, account: Account, calendar_id: str, body: object, now: datetime
) -> StoredEvent:
    """Create the event for (calendar, event_id) the first time, update it afterwards."""
    calendar = _granted_calendar(state, account, calendar_id)
    _refuse_unwritable(calendar)
    valid = validate_upsert(body)
    sent = copy.deepcopy(valid.body)
    event = state.managed_event(calendar_id, valid.event_id)
    if event is None:
        event = StoredEvent(
            calendar_id=calendar_id,
            event_uid=new_id("evt_sandbox_"),
            event_id=valid.event_id,
            body=sent,
            start=valid.start,
            end=valid.end,
            created=now,
            updated=now,
            user_modified=None,
        )
        state.add_event(event)
        return event
    event.body, event.start, event.end = sent, valid.start, valid.end
    event.updated, event.deleted = now, False
    return event


def delete_event(
    state: SandboxState, account: Account, calendar_id: str, body: object, now: datetime
) -> StoredEvent | None:
    """Mark the managed event deleted; an absent one is a no-op. Returns what changed."""
    _granted_calendar(state, account, calendar_id)
    event_id = body.get("event_id") if isinstance(body, dict) else None
    if not isinstance(event_id, str) or not event_id:
        errors = FieldErrors()
        errors.add("event_id", a.ERROR_REQUIRED, "event_id must be specified")
        errors.raise_if_any()
    event = state.managed_event(calendar_id, str(event_id))
    if event is None or event.deleted:
        return None
    event.deleted, event.updated = True, now
    return event


def apply_user_change(state: SandboxState, change: dict[str, Any], now: datetime) -> StoredEvent:
    """The user moves or deletes a managed event in their calendar app."""
    calendar_id, event_id = change.get("calendar_id"), change.get("event_id")
    event = (
        state.managed_event(calendar_id, event_id)
        if isinstance(calendar_id, str) and isinstance(event_id, str)
        else None
    )
    if event is None:
        raise ResourceNotFound(f"no managed event {event_id!r} in calendar {calendar_id!r}")
    errors = FieldErrors()
    times = {}
    for field in ("start", "end"):
        if change.get(field) is not None:
            try:
                times[field] = parse_event_time(change[field])
            except EventTimeError as exc:
                errors.add(field, exc.key, f"{field}: {exc.description}")
    errors.raise_if_any()
    event.start = times.get("start", event.start)
    event.end = times.get("end", event.end)
    if change.get("deleted"):
        event.deleted = True
    event.updated = event.user_modified = now
    return event
