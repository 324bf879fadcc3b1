"""Trigger categories and triggers: validation, storage, JSON form, and which triggers
fire for a ticket change."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.zendesk.assumptions import SUPPORTED_TRIGGER_ACTIONS
from zdcal.sandbox.zendesk.errors import RecordInvalid, RecordNotFound
from zdcal.sandbox.zendesk.model import Trigger, TriggerCategory
from zdcal.sandbox.zendesk.tickets import TicketChange
from zdcal.sandbox.zendesk.timestamps import iso_z
from zdcal.sandbox.zendesk.trigger_conditions import conditions_hold, validate_conditions
from zdcal.sandbox.zendesk.webhooks import WebhookRegistry


class TriggerBook:
    """Trigger categories (string ids) and triggers (integer ids) of the account."""

    def __init__(self, webhooks: WebhookRegistry) -> None:
        self.webhooks = webhooks
        self.categories: dict[str, TriggerCategory] = {}
        self.triggers: dict[int, Trigger] = {}
        self._next_category = 10_001
        self._next_trigger = 1

    def clear(self) -> None:
        """Forget triggers and categories (sandbox reset)."""
        self.categories.clear()
        self.triggers.clear()
        self._next_category = 10_001
        self._next_trigger = 1

    # --- categories --------------------------------------------------------------------
    def add_category(self, body: Any, now: float) -> TriggerCategory:
        """Create a category from ``{"trigger_category": {"name", "position"?}}``."""
        spec = body.get("trigger_category") if isinstance(body, dict) else None
        if not isinstance(spec, dict) or not str(spec.get("name", "")).strip():
            raise RecordInvalid.field("name", "Name: cannot be blank", "BlankValue")
        position = spec.get("position", len(self.categories))
        if not isinstance(position, int):
            raise RecordInvalid.field("position", "Position: must be an integer")
        category = TriggerCategory(
            str(self._next_category), str(spec["name"]), position, int(now), int(now)
        )
        self._next_category += 1
        self.categories[category.id] = category
        return category

    # --- triggers ----------------------------------------------------------------------
    def _validated(self, spec: Any, *, existing: Trigger | None) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise RecordInvalid.field("trigger", "Trigger: must be an object", "BlankValue")
        fields: dict[str, Any] = {}
        if existing is None or "title" in spec:
            title = str(spec.get("title") or "").strip()
            if not title:
                raise RecordInvalid.field("title", "Title: cannot be blank", "BlankValue")
            fields["title"] = title
        if existing is None or "category_id" in spec:
            category_id = spec.get("category_id")
            if category_id is None and existing is None and self.categories:
                # Recorded: a create without category_id lands in the first category.
                category_id = min(self.categories.values(), key=lambda c: (c.position, c.id)).id
            if category_id is None or str(category_id) not in self.categories:
                raise RecordInvalid.field(
                    "category_id", "Category: must name an existing trigger category"
                )
            fields["category_id"] = str(category_id)
        if "conditions" in spec or existing is None:
            all_c, any_c = validate_conditions(spec.get("conditions"))
            if existing is None and not all_c and not any_c:
                raise RecordInvalid.field("conditions", "Conditions: cannot be blank", "BlankValue")
            fields["conditions_all"], fields["conditions_any"] = all_c, any_c
        if "actions" in spec or existing is None:
            fields["actions"] = self._validated_actions(spec.get("actions"))
        if "active" in spec:
            fields["active"] = bool(spec["active"])
        if "position" in spec:
            if not isinstance(spec["position"], int):
                raise RecordInvalid.field("position", "Position: must be an integer")
            fields["position"] = spec["position"]
        if "description" in spec:
            fields["description"] = spec["description"]
        return fields

    def _validated_actions(self, actions: Any) -> list[dict[str, Any]]:
        if not isinstance(actions, list) or not actions:
            raise RecordInvalid.field("actions", "Actions: cannot be blank", "BlankValue")
        checked = []
        for action in actions:
            if not isinstance(action, dict) or action.get("field") not in SUPPORTED_TRIGGER_ACTIONS:
                field = action.get("field") if isinstance(action, dict) else action
                raise RecordInvalid.field("actions", f"Actions: {field} is not supported")
            value = action.get("value")
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(isinstance(v, str) for v in value)
            ):
                raise RecordInvalid.field(
                    "actions", "Actions: notification_webhook needs [webhook id, body]"
                )
            if value[0] not in self.webhooks.by_id:
                raise RecordInvalid.field("actions", f"Actions: webhook {value[0]} does not exist")
            checked.append({"field": action["field"], "value": list(value)})
        return checked

    def create(self, body: Any, now: float) -> Trigger:
        """Create from ``{"trigger": {...}}`` (422 on invalid fields)."""
        spec = body.get("trigger") if isinstance(body, dict) else None
        fields = self._validated(spec, existing=None)
        trigger = Trigger(
            id=self._next_trigger,
            title=fields["title"],
            active=fields.get("active", True),
            position=fields.get("position", len(self.triggers) + 1),
            category_id=fields["category_id"],
            conditions_all=fields["conditions_all"],
            conditions_any=fields["conditions_any"],
            actions=fields["actions"],
            description=fields.get("description"),
            created_at=int(now),
            updated_at=int(now),
        )
        self._next_trigger += 1
        self.triggers[trigger.id] = trigger
        return trigger

    def get(self, trigger_id: int) -> Trigger:
        """The trigger, or 404."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise RecordNotFound()
        return trigger

    def update(self, trigger_id: int, body: Any, now: float) -> Trigger:
        """PUT: given fields replace the stored ones; conditions and actions whole."""
        trigger = self.get(trigger_id)
        spec = body.get("trigger") if isinstance(body, dict) else None
        for name, value in self._validated(spec, existing=trigger).items():
            setattr(trigger, name, value)
        trigger.updated_at = int(now)
        return trigger

    def firing(self, change: TicketChange) -> list[Trigger]:
        """Active triggers whose conditions hold, in position order (each fires once)."""
        ordered = sorted(
            (t for t in self.triggers.values() if t.active), key=lambda t: (t.position, t.id)
        )
        return [t for t in ordered if conditions_hold(t.conditions_all, t.conditions_any, change)]


def category_json(category: TriggerCategory) -> dict[str, Any]:
    """A trigger category as the API renders it."""
    return {
        "id": category.id,
        "name": category.name,
        "position": category.position,
        "created_at": iso_z(category.created_at),
        "updated_at": iso_z(category.updated_at),
    }


def trigger_json(trigger: Trigger, base_url: str) -> dict[str, Any]:
    """A trigger as the API renders it."""
    return {
        "url": f"{base_url}/api/v2/triggers/{trigger.id}.json",
        "id": trigger.id,
        "title": trigger.title,
        "raw_title": trigger.title,
        "active": trigger.active,
        "default": False,
        "position": trigger.position,
        "category_id": trigger.category_id,
        "description": trigger.description or "",
        "conditions": {"all": trigger.conditions_all, "any": trigger.conditions_any},
        "actions": trigger.actions,
        "created_at": iso_z(trigger.created_at),
        "updated_at": iso_z(trigger.updated_at),
    }
