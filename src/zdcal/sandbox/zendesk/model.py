"""The records one simulated account holds. Tickets are kept compact (slots, unix seconds,
shared strings) because a benchmark holds a million of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

TICKET_TYPES: Final = ("problem", "incident", "question", "task")
TICKET_STATUSES: Final = ("new", "open", "pending", "hold", "solved", "closed")
STATUS_ORDER: Final = {name: rank for rank, name in enumerate(TICKET_STATUSES)}
TICKET_PRIORITIES: Final = ("urgent", "high", "normal", "low")
USER_ROLES: Final = ("end-user", "agent", "admin")


@dataclass(slots=True)
class Ticket:
    """One ticket. Times are unix seconds; ``deleted_at`` set means soft-deleted, and
    ``scrubbed`` means permanently deleted (only the incremental export still shows it)."""

    id: int
    type: str | None
    status: str
    subject: str | None
    description: str
    priority: str | None
    requester_id: int | None
    submitter_id: int | None
    assignee_id: int | None
    group_id: int | None
    due_at: int | None
    tags: tuple[str, ...]
    external_id: str | None
    created_at: int
    updated_at: int
    generated_timestamp: int
    deleted_at: int | None = None
    deleted_by: int | None = None
    log_position: int = -1
    """Where this ticket's latest change sits in the change log."""
    scrubbed: bool = False

    def snapshot(self) -> Ticket:
        """A detached copy (the search index keeps what it saw)."""
        return Ticket(
            self.id,
            self.type,
            self.status,
            self.subject,
            self.description,
            self.priority,
            self.requester_id,
            self.submitter_id,
            self.assignee_id,
            self.group_id,
            self.due_at,
            self.tags,
            self.external_id,
            self.created_at,
            self.updated_at,
            self.generated_timestamp,
            self.deleted_at,
            self.deleted_by,
            self.log_position,
            self.scrubbed,
        )


@dataclass
class User:
    """A person in the account."""

    id: int
    name: str
    email: str
    role: str
    iana_time_zone: str
    created_at: int
    updated_at: int
    active: bool = True
    api_token: str | None = None
    iana_style_time_zone: bool = False
    """Render ``time_zone`` as the IANA id, as many real accounts do, not the Rails name."""


@dataclass
class OAuthClient:
    """A registered OAuth client (``identifier`` is what OAuth calls ``client_id``)."""

    id: int
    identifier: str
    secret: str
    redirect_uris: list[str]
    allow_loopback_redirects: bool = False
    name: str = ""


@dataclass
class Webhook:
    """A webhook; ``signing_secret`` and the authentication data are never echoed back."""

    id: str
    name: str
    endpoint: str
    http_method: str
    request_format: str
    status: str
    subscriptions: list[str]
    signing_secret: str
    created_at: int
    created_by: int
    updated_at: int
    updated_by: int
    description: str | None = None
    authentication: dict[str, Any] | None = None
    custom_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class TriggerCategory:
    """A folder of triggers (string id)."""

    id: str
    name: str
    position: int
    created_at: int
    updated_at: int


@dataclass
class Trigger:
    """A business rule: conditions over a ticket change, and actions to run."""

    id: int
    title: str
    active: bool
    position: int
    category_id: str
    conditions_all: list[dict[str, Any]]
    conditions_any: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    description: str | None
    created_at: int
    updated_at: int
