"""Which Zendesk tickets are calendar tasks.

A ticket *wants an event* iff all of these hold:

* ``type == "task"`` (only tasks carry a meaningful ``due_at``);
* its status is one of ``new``, ``open``, ``pending``, ``hold``: work still to do.
  ``solved`` and ``closed`` tickets are done; ``deleted`` only appears in the
  incremental export; any status Zendesk adds later is treated as "not active" until
  someone decides otherwise (an unknown state should not spam calendars);
* it has a ``due_at`` and an ``assignee_id``;
* the assignee is a connected agent with a chosen writable calendar (checked by
  :mod:`zdcal.domain.entries`, which knows the agents).

A ticket that no longer exists wants nothing, exactly like a ticket that fails a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zdcal.domain.errors import InvalidTicket

TASK_TYPE = "task"
ACTIVE_STATUSES = ("new", "open", "pending", "hold")
"""Work still to do. A tuple, not a set: the store puts it into SQL (a partial index,
queries), which must come out the same in every process."""


@dataclass(frozen=True, slots=True)
class TicketState:
    """The fields of a Zendesk ticket that decide its calendar event.

    ``due_at`` is timezone-aware (UTC when read by :func:`ticket_state_from_api`).
    """

    ticket_id: int
    type: str | None
    status: str
    due_at: datetime | None
    assignee_id: int | None
    subject: str | None = None
    description: str | None = None
    priority: str | None = None
    due_time_pinned: bool = False
    """The agent set ``due_at`` by moving the task's timed event: the event keeps that
    exact time instead of the agent's default time of day (see event_time)."""

    def __post_init__(self) -> None:
        if self.due_at is not None and self.due_at.utcoffset() is None:
            raise InvalidTicket(f"ticket {self.ticket_id}: due_at must be timezone-aware")


def is_open_task_status(type: str | None, status: str) -> bool:
    """A task with work still to do, whatever its due date and assignee."""
    return type == TASK_TYPE and status in ACTIVE_STATUSES


def is_open_task(ticket: TicketState) -> bool:
    """True when the ticket itself qualifies for an event, whoever its assignee is."""
    return (
        is_open_task_status(ticket.type, ticket.status)
        and ticket.due_at is not None
        and ticket.assignee_id is not None
    )


def _optional_int(payload: Mapping[str, Any], field: str) -> int | None:
    value = payload.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTicket(f"ticket field {field!r} must be an integer, not {value!r}")
    return value


def _optional_str(payload: Mapping[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None or isinstance(value, str):
        return value
    raise InvalidTicket(f"ticket field {field!r} must be a string, not {value!r}")


def parse_due_at(value: str) -> datetime:
    """Read Zendesk's ISO-8601 ``due_at`` (``2026-03-08T07:30:00Z``) as an aware UTC datetime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidTicket(f"due_at {value!r} is not an ISO-8601 date-time") from error
    if parsed.tzinfo is None:
        # Zendesk always writes a ``Z``; a bare local time would be a guess, so refuse it.
        raise InvalidTicket(f"due_at {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def ticket_state_from_api(payload: Mapping[str, Any]) -> TicketState:
    """Read the rule-relevant fields of a ticket object from the Zendesk API.

    Works for show, show_many, search and incremental-export tickets alike (the latter
    may carry ``"status": "deleted"``).
    """
    ticket_id = _optional_int(payload, "id")
    if ticket_id is None or ticket_id <= 0:
        raise InvalidTicket("ticket has no positive integer 'id'")
    status = _optional_str(payload, "status")
    if status is None:
        raise InvalidTicket(f"ticket {ticket_id} has no 'status'")
    due_at_text = _optional_str(payload, "due_at")
    return TicketState(
        ticket_id=ticket_id,
        type=_optional_str(payload, "type"),
        status=status,
        due_at=parse_due_at(due_at_text) if due_at_text else None,
        assignee_id=_optional_int(payload, "assignee_id"),
        subject=_optional_str(payload, "subject"),
        description=_optional_str(payload, "description"),
        priority=_optional_str(payload, "priority"),
    )
