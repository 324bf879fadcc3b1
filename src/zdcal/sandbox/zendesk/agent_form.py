"""The agent page's ticket form: a ticket's values as the form shows them, and a submitted
form turned into the ``ticket`` object an API create or update would send.

The page then hands that object to the same account operations as the API, so it is
validated by ``ticket_input`` and fires triggers exactly like an API change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from zdcal.sandbox.zendesk.assumptions import ACCOUNT_TIME_ZONE, AGENT_UI_DATE_ONLY_DUE_TIME
from zdcal.sandbox.zendesk.errors import RecordInvalid
from zdcal.sandbox.zendesk.model import Ticket
from zdcal.sandbox.zendesk.timestamps import iso_z

FIELDS = ("subject", "description", "type", "status", "assignee_id", "due_date", "due_time")


@dataclass(frozen=True)
class TicketForm:
    """The form's fields, as strings (what a browser sends; empty means none)."""

    subject: str = ""
    description: str = ""
    type: str = "task"
    status: str = ""
    assignee_id: str = ""
    due_date: str = ""
    due_time: str = ""

    @classmethod
    def submitted(cls, form: Mapping[str, Any]) -> TicketForm:
        """The fields of a posted form; files and unknown fields are ignored."""
        values = {name: form.get(name) for name in FIELDS}
        return cls(**{k: v.strip() for k, v in values.items() if isinstance(v, str)})

    @classmethod
    def of(cls, ticket: Ticket) -> TicketForm:
        """What the edit form shows for a ticket: its due date and time in the account zone."""
        due_date = due_time = ""
        if ticket.due_at is not None:
            local = datetime.fromtimestamp(ticket.due_at, ZoneInfo(ACCOUNT_TIME_ZONE))
            due_date = local.date().isoformat()
            due_time = local.strftime("%H:%M:%S" if local.second else "%H:%M")
        return cls(
            subject=ticket.subject or "",
            description=ticket.description,
            type=ticket.type or "",
            status=ticket.status,
            assignee_id="" if ticket.assignee_id is None else str(ticket.assignee_id),
            due_date=due_date,
            due_time=due_time,
        )

    def due_at(self) -> str | None:
        """The ``due_at`` to store: the picked date at the picked time, or at noon when only
        a date was picked (see assumptions), in the account zone, as an ISO UTC instant.

        A date or time the browser should not have sent is passed on as typed, so the
        API's own validation names it.
        """
        if not self.due_date:
            if self.due_time:
                raise RecordInvalid.field("due_at", "Due date: pick a date for the due time")
            return None
        try:
            day = date.fromisoformat(self.due_date)
            clock = time.fromisoformat(self.due_time) if self.due_time else None
        except ValueError:
            return f"{self.due_date} {self.due_time}".strip()
        local = datetime.combine(
            day, clock or AGENT_UI_DATE_ONLY_DUE_TIME, tzinfo=ZoneInfo(ACCOUNT_TIME_ZONE)
        )
        return iso_z(local.astimezone(UTC).timestamp())

    def create_payload(self) -> dict[str, Any]:
        """The ``ticket`` object of an API create with these values."""
        payload: dict[str, Any] = {
            "subject": self.subject,
            "comment": {"body": self.description},
            "type": self.type or None,
            "assignee_id": self.assignee_id or None,
            "due_at": self.due_at(),
        }
        if self.status:  # else Zendesk's default: new, or open once assigned
            payload["status"] = self.status
        return payload

    def update_payload(self, ticket: Ticket) -> dict[str, Any]:
        """The ``ticket`` object of an API update: only the fields that differ from
        ``ticket``, as the agent interface sends only what the agent changed."""
        current = TicketForm.of(ticket)
        payload: dict[str, Any] = {}
        if self.subject != current.subject:
            payload["subject"] = self.subject
        if self.type != current.type:
            payload["type"] = self.type or None
        if self.status and self.status != current.status:
            payload["status"] = self.status
        if self.assignee_id != current.assignee_id:
            payload["assignee_id"] = self.assignee_id or None
        due_at = self.due_at()
        if due_at != (None if ticket.due_at is None else iso_z(ticket.due_at)):
            payload["due_at"] = due_at
        return payload
