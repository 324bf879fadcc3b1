"""Changing a stored event, the same way for API clients and for the simulated user."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.event_body import merge_patch, validate, writable_fields
from zdcal.sandbox.google.model import StoredEvent
from zdcal.sandbox.google.store import GoogleState


def change_event(
    state: GoogleState, event: StoredEvent, body: dict[str, Any], now: datetime, *, patch: bool
) -> StoredEvent:
    """Apply an update (``patch=False``: replace) or a patch; raise a 400 for a bad result."""
    sent = {k: v for k, v in body.items() if k in assumptions.WRITABLE_FIELDS}
    fields = merge_patch(event.fields, sent) if patch else writable_fields(body)
    if not patch and event.cancelled and "status" not in fields:
        fields["status"] = "cancelled"
    fields = validate(fields)
    sequence = event.sequence
    if any(fields.get(k) != event.fields.get(k) for k in assumptions.SEQUENCE_BUMPS_ON):
        sequence += 1
    sent_sequence = body.get("sequence")
    if isinstance(sent_sequence, int) and not isinstance(sent_sequence, bool):
        sequence = max(sequence, sent_sequence)
    changed = replace(
        event, fields=fields, updated=now, change_no=state.next_change(), sequence=sequence
    )
    state.events[(event.calendar_id, event.event_id)] = changed
    return changed


def cancel_event(state: GoogleState, event: StoredEvent, now: datetime) -> StoredEvent:
    """Delete: the event stays, ``cancelled``, so sync deltas and get still show it."""
    cancelled = replace(
        event, fields={**event.fields, "status": "cancelled"}, updated=now,
        change_no=state.next_change(),
    )
    state.events[(event.calendar_id, event.event_id)] = cancelled
    return cancelled
