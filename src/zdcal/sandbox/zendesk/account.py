"""One simulated account: every store, the clock, limits, and the ticket operations that
fire triggers. Route handlers and the control API both act through it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from zdcal.clock import SystemClock
from zdcal.sandbox.faults import FaultInjector
from zdcal.sandbox.zendesk.apps import AppBook
from zdcal.sandbox.zendesk.config import ZendeskSimConfig
from zdcal.sandbox.zendesk.default_seed import default_seed
from zdcal.sandbox.zendesk.delivery import DeliveryRecord, WebhookDeliverer
from zdcal.sandbox.zendesk.jobs import JobBook
from zdcal.sandbox.zendesk.oauth import OAuthService
from zdcal.sandbox.zendesk.placeholders import PlaceholderRenderer
from zdcal.sandbox.zendesk.rate_limits import MinuteWindowLimiter
from zdcal.sandbox.zendesk.search_index import SearchIndex
from zdcal.sandbox.zendesk.ticket_input import parse_ticket_fields
from zdcal.sandbox.zendesk.tickets import TicketChange, TicketStore
from zdcal.sandbox.zendesk.timestamps import parse_instant
from zdcal.sandbox.zendesk.triggers import TriggerBook
from zdcal.sandbox.zendesk.users import UserDirectory
from zdcal.sandbox.zendesk.webhooks import WebhookRegistry


class Account:
    """The state and behaviour of one Zendesk account in the sandbox."""

    def __init__(self, config: ZendeskSimConfig) -> None:
        self.config = config
        self._initial_clock_offset = config.clock_offset
        self._initial_faults = replace(config.faults)
        self.clock = SystemClock(config.clock_offset + config.faults.clock_offset_seconds)
        self.injector = FaultInjector(config.faults)
        self.users = UserDirectory()
        self.tickets = TicketStore()
        self.jobs = JobBook()
        self.search = SearchIndex(self.tickets, lambda: self.config.search_index_lag_seconds)
        self.oauth = OAuthService(config.access_token_ttl_seconds)
        self.webhooks = WebhookRegistry()
        self.apps = AppBook()
        self.triggers = TriggerBook(self.webhooks)
        self.renderer = PlaceholderRenderer(self.users, config.subdomain, self.agent_ticket_url)
        self.deliverer = WebhookDeliverer(
            config.account_id,
            self.injector,
            self.now,
            lambda: self.config.webhook_timeout_seconds,
            lambda: self.config.webhook_max_attempts,
        )
        self.account_limit = MinuteWindowLimiter(lambda: self.config.requests_per_minute, self.now)
        self.incremental_limit = MinuteWindowLimiter(
            lambda: self.config.incremental_exports_per_minute, self.now
        )
        self.search_export_limit = MinuteWindowLimiter(
            lambda: self.config.search_exports_per_minute, self.now
        )
        self.webhooks_limit = MinuteWindowLimiter(
            lambda: self.config.webhooks_requests_per_minute, self.now
        )

    def now(self) -> float:
        """Simulator time (unix seconds), shifted by the clock knob."""
        self.clock.offset_seconds = (
            self.config.clock_offset + self.injector.faults.clock_offset_seconds
        )
        return self.clock.timestamp()

    def api_generated_timestamp(self) -> int | None:
        """The ``generated_timestamp`` tickets carry outside the incremental export: none
        (as recorded), or 0 with the ``zero_generated_timestamp`` knob."""
        return 0 if self.config.zero_generated_timestamp else None

    def agent_ticket_url(self, ticket_id: int) -> str:
        """The agent-facing link of a ticket."""
        return f"https://{self.config.subdomain}.zendesk.com/agent/tickets/{ticket_id}"

    # --- lifecycle ---------------------------------------------------------------------
    def restart(self) -> dict[str, Any]:
        """Back to the state at start-up: stores emptied, the configured seed reloaded,
        fault knobs and clock offset as configured. Returns the seeded ids."""
        self.reset()
        self.config.clock_offset = self._initial_clock_offset
        self.injector.configure(replace(self._initial_faults).as_dict())
        return self.load_seed(self.config.seed)

    def reset(self) -> None:
        """Empty every store and limit (the seed is not reloaded)."""
        for part in (
            self.users,
            self.tickets,
            self.jobs,
            self.search,
            self.oauth,
            self.webhooks,
            self.apps,
            self.triggers,
            self.deliverer,
        ):
            part.clear()
        for limiter in (
            self.account_limit,
            self.incremental_limit,
            self.search_export_limit,
            self.webhooks_limit,
        ):
            limiter.reset()

    def load_seed(self, seed: dict[str, Any] | None) -> dict[str, Any]:
        """Add a scenario's ``zendesk`` section (default seed when None); returns the ids."""
        section = default_seed() if seed is None else seed
        now = self.now()
        users = [self.users.add(spec, int(now)) for spec in section.get("users", [])]
        clients = [self.oauth.add_client(spec) for spec in section.get("oauth_clients", [])]
        categories = [
            self.triggers.add_category({"trigger_category": spec}, now)
            for spec in section.get("trigger_categories", [])
        ]
        tickets = []
        for spec in section.get("tickets", []):
            actor = spec.get("requester_id") or next(
                (u.id for u in users if u.role == "admin"), None
            )
            fields = parse_ticket_fields(spec, self.users, creating=True, actor_id=actor)
            for name in ("id", "created_at"):
                if spec.get(name) is not None:
                    fields[name] = spec[name]
            if isinstance(fields.get("created_at"), str):
                fields["created_at"] = int(parse_instant(fields["created_at"]))
            tickets.append(self.tickets.create(fields, actor, now).after)
        return {
            "users": [{"id": u.id, "email": u.email, "role": u.role} for u in users],
            "tickets": [{"id": t.id} for t in tickets],
            "oauth_clients": [{"id": c.id, "identifier": c.identifier} for c in clients],
            "trigger_categories": [{"id": c.id, "name": c.name} for c in categories],
        }

    # --- ticket changes that fire triggers ----------------------------------------------
    def create_ticket(self, payload: Any, actor_id: int | None) -> TicketChange:
        """Validate and create a ticket, then run triggers."""
        fields = parse_ticket_fields(payload, self.users, creating=True, actor_id=actor_id)
        change = self.tickets.create(fields, actor_id, self.now())
        self.fire_triggers(change)
        return change

    def update_ticket(self, ticket_id: int, payload: Any, actor_id: int | None) -> TicketChange:
        """Validate and apply an update, then run triggers."""
        self.tickets.live(ticket_id)
        fields = parse_ticket_fields(payload, self.users, creating=False, actor_id=actor_id)
        change = self.tickets.update(ticket_id, fields, actor_id, self.now())
        self.fire_triggers(change)
        return change

    def delete_ticket(self, ticket_id: int, actor_id: int | None) -> None:
        """Soft delete a ticket; no trigger fires (see assumptions)."""
        self.tickets.delete(ticket_id, actor_id, self.now())

    def fire_triggers(self, change: TicketChange) -> list[DeliveryRecord]:
        """Evaluate every active trigger for a change and schedule its webhook calls."""
        records: list[DeliveryRecord] = []
        for trigger in self.triggers.firing(change):
            for action in trigger.actions:
                webhook_id, template = action["value"]
                webhook = self.webhooks.by_id.get(webhook_id)
                if webhook is None:
                    continue
                body = self.renderer.render(template, change.after, change.actor_id)
                records += self.deliverer.invoke(webhook, body, trigger.id, change.after.id)
        return records
