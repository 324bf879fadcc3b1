"""What the simulated Cronofy remembers: accounts, calendars, events, grants, channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zdcal.sandbox.cronofy.event_times import EventTime


@dataclass
class Calendar:
    calendar_id: str
    account_id: str
    name: str
    readonly: bool = False
    deleted: bool = False
    primary: bool = False

    @property
    def writable(self) -> bool:
        """Only calendars neither read-only nor deleted take events."""
        return not (self.readonly or self.deleted)


@dataclass
class Account:
    account_id: str
    email: str
    name: str
    default_tzid: str
    provider_name: str
    profile_id: str
    calendar_ids: list[str] = field(default_factory=list)
    locked: bool = False
    """The provider's credentials are gone: the calendar API answers 423 until unlocked."""

    @property
    def profile_name(self) -> str:
        return self.email


@dataclass
class StoredEvent:
    """One event in a calendar; ``event_id`` is set for events the application manages."""

    calendar_id: str
    event_uid: str
    event_id: str | None
    body: dict[str, Any]
    """Exactly what the application (or the seed) sent last."""
    start: EventTime
    end: EventTime
    created: datetime
    updated: datetime
    user_modified: datetime | None
    """When the user last changed it in their calendar: what ``last_modified`` filters on."""
    deleted: bool = False

    @property
    def managed(self) -> bool:
        return self.event_id is not None


@dataclass
class Grant:
    """One authorization of the application by an account, and the tokens it issued."""

    grant_id: str
    account_id: str
    scope: str
    refresh_token: str
    access_tokens: dict[str, datetime] = field(default_factory=dict)
    """Access token -> expiry instant."""
    revoked: bool = False

    def allows(self, scope: str) -> bool:
        return scope in self.scope.split()


@dataclass
class AuthorizationCode:
    code: str
    account_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime
    used: bool = False


@dataclass
class Channel:
    channel_id: str
    account_id: str
    callback_url: str
    filters: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "callback_url": self.callback_url,
            "filters": self.filters,
        }

    def watches(self, event: StoredEvent) -> bool:
        """Whether a change to ``event`` falls inside this channel's filters."""
        calendar_ids = self.filters.get("calendar_ids")
        if calendar_ids and event.calendar_id not in calendar_ids:
            return False
        return event.managed or not self.filters.get("only_managed", False)
