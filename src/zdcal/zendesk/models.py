"""Typed views of the Zendesk records zdcal reads; unknown fields are kept, not rejected.

Enumerations (status, type, role) stay plain strings on purpose: Zendesk adds values
over time, and a new value must not make a whole page of tickets unreadable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ZendeskModel(BaseModel):
    """Base: keep unknown fields (``model_extra``), parse ISO dates into datetimes."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Ticket(ZendeskModel):
    id: int
    url: str | None = None
    type: str | None = None
    status: str | None = None
    due_at: datetime | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    requester_id: int | None = None
    subject: str | None = None
    description: str | None = None
    priority: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    generated_timestamp: int | None = None
    tags: list[str] = Field(default_factory=list)
    custom_status_id: int | None = None

    @property
    def is_task(self) -> bool:
        return self.type == "task"

    @property
    def is_deleted(self) -> bool:
        """Only the incremental export shows deleted tickets, with status ``deleted``."""
        return self.status == "deleted"


class FeedTicket(Ticket):
    """A ticket from a bulk feed (incremental export, search export): declared fields only.

    Feed pages hold up to 1,000 tickets. Parsing a page's bytes at once in pydantic-core
    and dropping the fields zdcal never reads takes a fifth of the CPU of ``json.loads``
    plus :class:`Ticket` and creates far fewer objects (bench/sweep_cost.py).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class IncrementalExportBody(BaseModel):
    """The JSON body of a cursor-based incremental export page, as sent."""

    tickets: list[FeedTicket] | None = None
    after_cursor: str | None = None
    end_of_stream: bool | None = None


class SearchExportMeta(BaseModel):
    after_cursor: str | None = None
    has_more: bool | None = None


class SearchExportBody(BaseModel):
    """The JSON body of a search export page with ``filter[type]=ticket``, as sent."""

    results: list[FeedTicket] | None = None
    meta: SearchExportMeta | None = None


class User(ZendeskModel):
    id: int | None = None  # None for the "Anonymous user" that /users/me returns unauthenticated
    name: str | None = None
    email: str | None = None
    role: str | None = None
    active: bool | None = None  # false once deleted
    suspended: bool | None = None
    time_zone: str | None = None
    iana_time_zone: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_agent(self) -> bool:
        """Admins are agents too."""
        return self.role in ("agent", "admin")


class AppInstallation(ZendeskModel):
    """An installed Zendesk app: which app it is, whether it runs, its non-secure settings."""

    id: int
    app_id: int
    enabled: bool = True
    settings: dict[str, Any] = {}


class AccountLocalization(ZendeskModel):
    """``settings.localization`` of ``GET /api/v2/account/settings``: the account's time
    zone as a Rails name and as an IANA id (Zendesk's Account Settings reference)."""

    time_zone: str | None = None
    iana_time_zone: str | None = None


class IncrementalPage(BaseModel):
    """One page of the cursor-based incremental ticket export."""

    tickets: list[Ticket]
    after_cursor: str | None
    end_of_stream: bool


class SearchPage(BaseModel):
    """One offset page of ``/api/v2/search`` (results of mixed types, raw)."""

    results: list[dict[str, Any]]
    count: int | None = None
    next_page: str | None = None

    def tickets(self) -> list[Ticket]:
        """The results that are tickets."""
        return [
            Ticket.model_validate(r)
            for r in self.results
            if r.get("result_type", "ticket") == "ticket"
        ]


class SearchExportPage(BaseModel):
    """One cursor page of ``/api/v2/search/export`` with ``filter[type]=ticket``."""

    tickets: list[Ticket]
    after_cursor: str | None
    has_more: bool


class Webhook(ZendeskModel):
    id: str
    name: str | None = None
    endpoint: str | None = None
    http_method: str | None = None
    request_format: str | None = None
    status: str | None = None
    subscriptions: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class SigningSecret(BaseModel):
    """A webhook's signing secret; hidden from repr so it is not logged by accident."""

    secret: str = Field(repr=False)
    algorithm: str = "SHA256"


class TriggerCategory(ZendeskModel):
    id: str
    name: str | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Trigger(ZendeskModel):
    id: int
    title: str | None = None
    active: bool | None = None
    position: int | None = None
    category_id: str | None = None
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RateLimitStatus(BaseModel):
    """The last rate-limit headers seen: for the health page and for pacing decisions."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    observed_at: datetime
