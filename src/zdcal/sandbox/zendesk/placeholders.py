"""Rendering ``{{...}}`` placeholders in a trigger's webhook body, as plain text.

Zendesk substitutes placeholder text verbatim (no JSON escaping); so does this.
Unknown placeholders render as empty text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from zdcal.sandbox.zendesk.assumptions import (
    PLACEHOLDER_DATE_FORMAT,
    PLACEHOLDER_TIMESTAMP_FORMAT,
)
from zdcal.sandbox.zendesk.model import Ticket, User
from zdcal.sandbox.zendesk.users import UserDirectory

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}")


def _date(unix: int | None) -> str:
    if unix is None:
        return ""
    return datetime.fromtimestamp(unix, tz=UTC).strftime(PLACEHOLDER_DATE_FORMAT)


def _timestamp(unix: int | None) -> str:
    if unix is None:
        return ""
    return datetime.fromtimestamp(unix, tz=UTC).strftime(PLACEHOLDER_TIMESTAMP_FORMAT)


def _user_value(user: User | None, attribute: str) -> str:
    if user is None:
        return ""
    first, _, last = user.name.partition(" ")
    values = {
        "id": str(user.id),
        "name": user.name,
        "first_name": first,
        "last_name": last,
        "email": user.email,
        "role": user.role,
        "time_zone": user.iana_time_zone,
    }
    return values.get(attribute, "")


class PlaceholderRenderer:
    """Renders bodies for one ticket, its users and the acting user."""

    def __init__(
        self, users: UserDirectory, account_name: str, agent_ticket_url: Callable[[int], str]
    ) -> None:
        self.users = users
        self.account_name = account_name
        self.agent_ticket_url = agent_ticket_url

    def value(self, name: str, ticket: Ticket, current_user_id: int | None) -> str:
        """The text one placeholder renders to."""
        parts = name.split(".")
        if parts[0] == "current_user" and len(parts) == 2:
            user = self.users.by_id.get(current_user_id) if current_user_id else None
            return _user_value(user, parts[1])
        if parts[0] != "ticket":
            return ""
        if len(parts) == 3 and parts[1] in ("assignee", "requester", "submitter"):
            user_id = getattr(ticket, f"{parts[1]}_id")
            return _user_value(self.users.by_id.get(user_id) if user_id else None, parts[2])
        if len(parts) != 2:
            return ""
        simple: dict[str, Callable[[], str]] = {
            "id": lambda: str(ticket.id),
            "title": lambda: ticket.subject or "",
            "description": lambda: ticket.description,
            "status": lambda: ticket.status.capitalize(),
            "ticket_type": lambda: (ticket.type or "").capitalize(),
            "priority": lambda: (ticket.priority or "").capitalize(),
            "tags": lambda: " ".join(ticket.tags),
            "group_id": lambda: "" if ticket.group_id is None else str(ticket.group_id),
            "external_id": lambda: ticket.external_id or "",
            "account": lambda: self.account_name,
            "link": lambda: self.agent_ticket_url(ticket.id),
            "url": lambda: self.agent_ticket_url(ticket.id).removeprefix("https://"),
            "due_date": lambda: _date(ticket.due_at),
            "due_date_with_timestamp": lambda: _timestamp(ticket.due_at),
            "created_at": lambda: _date(ticket.created_at),
            "created_at_with_timestamp": lambda: _timestamp(ticket.created_at),
            "updated_at": lambda: _date(ticket.updated_at),
            "updated_at_with_timestamp": lambda: _timestamp(ticket.updated_at),
        }
        render = simple.get(parts[1])
        return render() if render else ""

    def render(self, template: str, ticket: Ticket, current_user_id: int | None) -> str:
        """The template with every placeholder substituted."""
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1), ticket, current_user_id), template)
