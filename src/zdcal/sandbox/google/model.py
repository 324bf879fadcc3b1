"""The simulator's records: users, calendars, events, grants and authorization codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Calendar:
    calendar_id: str
    owner: str
    summary: str
    access_role: str
    time_zone: str
    primary: bool


@dataclass
class StoredEvent:
    """One event as Google keeps it: the writable fields sent, plus the server's own."""

    calendar_id: str
    event_id: str
    fields: dict[str, Any]
    created: datetime
    updated: datetime
    change_no: int
    """Position in the simulator's change log: sync and page tokens count on it."""
    sequence: int = 0
    ical_uid: str = ""

    @property
    def cancelled(self) -> bool:
        return bool(self.fields.get("status") == "cancelled")


@dataclass
class Grant:
    """One user's consent to one client: its scopes, refresh token and access tokens."""

    grant_id: str
    email: str
    scopes: frozenset[str]
    refresh_token: str | None
    access_tokens: dict[str, datetime] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class AuthorizationCode:
    code: str
    email: str
    scopes: frozenset[str]
    redirect_uri: str
    offline: bool
    force_consent: bool
    code_challenge: str | None
    code_challenge_method: str
    expires_at: datetime
