"""The simulator's records: users, calendars, events, grants, codes and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class User:
    user_id: str
    email: str
    display_name: str


@dataclass
class Calendar:
    calendar_id: str
    user_id: str
    name: str
    can_edit: bool
    is_default: bool
    owner_name: str
    owner_address: str
    change_key: str


@dataclass
class StoredEvent:
    """One event as Outlook keeps it: the client's properties, normalised, and the server's."""

    event_id: str
    calendar_id: str
    user_id: str
    fields: dict[str, Any]
    """Writable properties as kept (start/end normalised to the zone they were sent in)."""
    extended: dict[str, tuple[str, str]]
    """Single-value extended properties: normalised id -> (id as first sent, value)."""
    created: datetime
    modified: datetime
    change_key: str
    change_no: int
    """Position in the simulator's change log: delta tokens count on it."""
    ical_uid: str
    transaction_id: str | None = None
    deleted: bool = False


@dataclass
class RefreshToken:
    grant_id: str
    expires_at: datetime
    dies_at: datetime | None = None
    """Set when the token was replaced and the config gives old tokens a grace period."""


@dataclass
class Grant:
    """One user's consent to the app: its permissions and its tokens."""

    grant_id: str
    user_id: str
    scopes: frozenset[str]
    access_tokens: dict[str, datetime] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class AuthorizationCode:
    code: str
    user_id: str
    scopes: frozenset[str]
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str
    expires_at: datetime
    nonce: str | None = None
    client_info: bool = False
    redeemed: bool = False


@dataclass
class Subscription:
    subscription_id: str
    user_id: str
    resource: str
    calendar_id: str
    """The watched calendar (``me/events``: the default one)."""
    change_types: tuple[str, ...]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: datetime
    tls_version: str
