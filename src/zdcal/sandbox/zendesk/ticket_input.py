"""Validation of the ``ticket`` object of create and update requests.

Returns the normalised changes (field name -> new value); every problem found is reported
at once as a 422 RecordInvalid with per-field details, like Zendesk does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from zdcal.sandbox.zendesk.assumptions import DEFAULT_CUSTOM_STATUS_IDS
from zdcal.sandbox.zendesk.errors import RecordInvalid
from zdcal.sandbox.zendesk.model import TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES
from zdcal.sandbox.zendesk.timestamps import InvalidTimestamp, parse_instant
from zdcal.sandbox.zendesk.users import UserDirectory

STATUS_BY_CUSTOM_STATUS_ID = {v: k for k, v in DEFAULT_CUSTOM_STATUS_IDS.items()}

_CHOICES: tuple[tuple[str, str, Collection[str], bool], ...] = (
    ("type", "Type", TICKET_TYPES, True),
    ("priority", "Priority", TICKET_PRIORITIES, True),
    ("status", "Status", TICKET_STATUSES, False),
)
"""Fields that take one of a set of values: name, label in messages, values, may be null."""


class _Problems:
    def __init__(self) -> None:
        self.details: dict[str, list[dict[str, str]]] = {}

    def add(self, name: str, description: str, error: str = "InvalidValue") -> None:
        self.details.setdefault(name, []).append({"description": description, "error": error})

    def raise_if_any(self) -> None:
        if self.details:
            raise RecordInvalid(self.details)


def _optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


def parse_ticket_fields(
    payload: Any, users: UserDirectory, *, creating: bool, actor_id: int | None
) -> dict[str, Any]:
    """Validate a ``ticket`` object; returns the changes to apply. Unknown keys are ignored."""
    if not isinstance(payload, dict):
        raise RecordInvalid.field("base", "Ticket: must be an object", "BlankValue")
    problems = _Problems()
    changes: dict[str, Any] = {}

    for name, label, allowed, nullable in _CHOICES:
        if name in payload:
            value = payload[name]
            if (nullable and value is None) or value in allowed:
                changes[name] = value
            else:
                problems.add(name, f"{label}: {value} is not valid")
    if "custom_status_id" in payload and payload["custom_status_id"] is not None:
        category = STATUS_BY_CUSTOM_STATUS_ID.get(payload["custom_status_id"])
        if category is None:
            problems.add("custom_status_id", "Custom status: is invalid")
        else:
            changes.setdefault("status", category)
    if "due_at" in payload:
        value = payload["due_at"]
        if value is None or value == "":
            changes["due_at"] = None
        else:
            try:
                changes["due_at"] = int(parse_instant(str(value)))
            except InvalidTimestamp:
                problems.add("due_at", f"Due date: {value} is not a valid date")
    for name, label in (
        ("assignee_id", "Assignee"),
        ("group_id", "Group"),
        ("requester_id", "Requester"),
        ("submitter_id", "Submitter"),
    ):
        if name not in payload:
            continue
        try:
            number = _optional_int(payload[name])
        except (TypeError, ValueError):
            problems.add(name.removesuffix("_id"), f"{label}: is invalid")
            continue
        if name == "assignee_id" and number is not None and not users.is_assignable(number):
            problems.add("assignee", "Assignee: is not an agent")
            continue
        if (
            name in ("requester_id", "submitter_id")
            and number is not None
            and (number not in users.by_id)
        ):
            problems.add(name.removesuffix("_id"), f"{label}: is invalid")
            continue
        changes[name] = number
    if "subject" in payload:
        value = payload["subject"]
        changes["subject"] = None if value is None else str(value)
    if "external_id" in payload:
        value = payload["external_id"]
        changes["external_id"] = None if value is None else str(value)
    if "tags" in payload:
        value = payload["tags"]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            problems.add("tags", "Tags: must be a list of strings")
        else:
            changes["tags"] = tuple(dict.fromkeys(t.strip().lower() for t in value if t.strip()))
    comment = payload.get("comment")
    body: str | None = None
    if isinstance(comment, dict):
        raw = comment.get("body", comment.get("html_body"))
        body = None if raw is None else str(raw)
    elif isinstance(comment, str):
        body = comment
    if creating:
        description = body if body else payload.get("description")
        if not description:
            problems.add("description", "Description: cannot be blank", "BlankValue")
        else:
            changes["description"] = str(description)
        changes.setdefault("requester_id", actor_id)
        changes.setdefault("submitter_id", actor_id)
        if changes.get("requester_id") is None and actor_id is None:
            problems.add("requester", "Requester: cannot be blank", "BlankValue")
    elif body:
        # A comment on update changes nothing we model but is still a change (bumps stamps).
        changes["_comment"] = body
    problems.raise_if_any()
    return changes
