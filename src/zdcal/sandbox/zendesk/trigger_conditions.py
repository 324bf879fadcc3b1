"""Trigger conditions: which fields and operators the sandbox supports, and evaluation
against one ticket change (the ticket before and after, and who made it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zdcal.sandbox.zendesk.errors import RecordInvalid
from zdcal.sandbox.zendesk.model import STATUS_ORDER, Ticket
from zdcal.sandbox.zendesk.tickets import TicketChange

EQUALITY = ("is", "is_not")
CHANGES = ("changed", "not_changed", "value", "not_value", "value_previous", "not_value_previous")
ORDERED = ("less_than", "greater_than")

FieldReader = Callable[[Ticket], Any]

# Ticket fields of the documented conditions reference that the sandbox evaluates.
READERS: dict[str, FieldReader] = {
    "status": lambda t: t.status,
    "type": lambda t: t.type,
    "priority": lambda t: t.priority,
    "assignee_id": lambda t: t.assignee_id,
    "group_id": lambda t: t.group_id,
    "requester_id": lambda t: t.requester_id,
}
OPERATORS: dict[str, tuple[str, ...]] = {
    "update_type": ("is", "is_not"),
    "status": EQUALITY + CHANGES + ORDERED,
    "type": EQUALITY + CHANGES,
    "priority": EQUALITY + CHANGES + ORDERED,
    "assignee_id": EQUALITY + CHANGES,
    "group_id": EQUALITY + CHANGES,
    "requester_id": EQUALITY + CHANGES,
    "current_tags": ("includes", "not_includes"),
}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def validate_conditions(conditions: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The (all, any) lists of a ``conditions`` object; unknown fields/operators are 422."""
    if conditions is None:
        return [], []
    if not isinstance(conditions, dict):
        raise RecordInvalid.field("conditions", "Conditions: must be an object")
    lists: list[list[dict[str, Any]]] = []
    for key in ("all", "any"):
        items = conditions.get(key) or []
        if not isinstance(items, list):
            raise RecordInvalid.field("conditions", f"Conditions: {key} must be a list")
        for item in items:
            if not isinstance(item, dict):
                raise RecordInvalid.field("conditions", "Conditions: each must be an object")
            field, operator = item.get("field"), item.get("operator")
            if field not in OPERATORS:
                raise RecordInvalid.field(
                    "conditions", f"Conditions: {field} is not a valid condition field"
                )
            if operator not in OPERATORS[field]:
                raise RecordInvalid.field(
                    "conditions", f"Conditions: {operator} is not valid for {field}"
                )
        lists.append([dict(i) for i in items])
    return lists[0], lists[1]


def _as_comparable(field: str, value: Any, actor_id: int | None) -> Any:
    if field.endswith("_id"):
        if value in (None, "", "none"):
            return None
        if value == "current_user":
            return actor_id
        return int(value)
    return None if value in ("", None) else str(value).lower()


def _rank(field: str, value: Any) -> int | None:
    if value is None:
        return None
    order = STATUS_ORDER if field == "status" else PRIORITY_RANK
    return order.get(value)


def condition_holds(condition: dict[str, Any], change: TicketChange) -> bool:
    """Whether one condition holds for a change."""
    field, operator, raw = condition["field"], condition["operator"], condition.get("value")
    if field == "update_type":
        return bool((change.update_type == raw) == (operator == "is"))
    if field == "current_tags":
        wanted = set(str(raw or "").split())
        present = bool(wanted & set(change.after.tags))
        return present if operator == "includes" else not present
    read = READERS[field]
    now = read(change.after)
    before = None if change.before is None else read(change.before)
    changed = change.before is None or before != now
    wanted = _as_comparable(field, raw, change.actor_id)
    if operator == "is":
        return bool(now == wanted)
    if operator == "is_not":
        return bool(now != wanted)
    if operator == "changed":
        return changed
    if operator == "not_changed":
        return not changed
    if operator == "value":
        return changed and bool(now == wanted)
    if operator == "not_value":
        return changed and bool(now != wanted)
    if operator == "value_previous":
        return changed and bool(before == wanted)
    if operator == "not_value_previous":
        return changed and bool(before != wanted)
    left, right = _rank(field, now), _rank(field, wanted)
    if left is None or right is None:
        return False
    return left < right if operator == "less_than" else left > right


def conditions_hold(
    all_conditions: list[dict[str, Any]], any_conditions: list[dict[str, Any]], change: TicketChange
) -> bool:
    """All of ``all`` and (when given) at least one of ``any``."""
    if not all(condition_holds(c, change) for c in all_conditions):
        return False
    return not any_conditions or any(condition_holds(c, change) for c in any_conditions)
