"""The simulator's memory, behind one lock. No HTTP in here."""

from __future__ import annotations

import base64
import secrets
import threading
from datetime import datetime, timedelta

from zdcal.sandbox.microsoft.config import SeedUser
from zdcal.sandbox.microsoft.errors import new_guid
from zdcal.sandbox.microsoft.model import (
    AuthorizationCode,
    Calendar,
    Grant,
    RefreshToken,
    StoredEvent,
    Subscription,
    User,
)


def outlook_id(prefix: str = "AAMkAG") -> str:
    """An Outlook-looking item id: ``AAMkAG...`` base64 (``-``/``_`` for ``+``/``/``), ``=`` end."""
    raw = base64.b64encode(secrets.token_bytes(90)).decode().rstrip("=")
    return prefix + raw.replace("+", "-").replace("/", "_") + "="


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(15)).decode()


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(48)


class MicrosoftState:
    """Users, calendars, events (deleted ones kept as tombstones for delta), grants, codes and
    subscriptions. Every event change takes the next ``change_no``; ``generation`` changes when
    delta tokens are invalidated (reset, or the control API), so older tokens answer 410."""

    def __init__(self, users: tuple[SeedUser, ...]) -> None:
        self.lock = threading.RLock()
        self.generation = secrets.token_hex(4)
        self.change_no = 0
        self.users: dict[str, User] = {}
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, StoredEvent] = {}
        # (mailbox, transactionId) → the event last created with it: a create's repeat
        # check without a scan of every mailbox's events (quadratic in a backfill).
        self.transactions: dict[tuple[str, str], StoredEvent] = {}
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.subscriptions: dict[str, Subscription] = {}
        for user in users:
            self.add_user(user)

    # --- users and calendars -------------------------------------------------------------
    def add_user(self, seed: SeedUser) -> User:
        if self.user_by_email(seed.email) is not None:
            raise ValueError(f"user {seed.email} already exists")
        if not seed.calendars:
            raise ValueError("a user needs at least one calendar (the default one)")
        user = User(new_guid(), seed.email, seed.display_name)
        self.users[user.user_id] = user
        for index, calendar in enumerate(seed.calendars):
            shared = calendar.owner is not None and calendar.owner != seed.email
            record = Calendar(
                outlook_id(), user.user_id, calendar.name, calendar.can_edit, index == 0,
                calendar.owner if shared and calendar.owner else seed.display_name,
                calendar.owner if shared and calendar.owner else seed.email, new_change_key(),
            )
            self.calendars[record.calendar_id] = record
        return user

    def user_by_email(self, email: str) -> User | None:
        for user in self.users.values():
            if user.email.lower() == email.lower():
                return user
        return None

    def calendars_of(self, user_id: str) -> list[Calendar]:
        return [c for c in self.calendars.values() if c.user_id == user_id]

    def default_calendar(self, user_id: str) -> Calendar:
        return next(c for c in self.calendars_of(user_id) if c.is_default)

    # --- events --------------------------------------------------------------------------
    def next_change(self) -> int:
        self.change_no += 1
        return self.change_no

    def live_events(self, user_id: str, calendar_id: str | None) -> list[StoredEvent]:
        """The mailbox's events (one calendar's, or all with None), in order of creation."""
        return [e for e in self.events.values() if e.user_id == user_id and not e.deleted
                and (calendar_id is None or e.calendar_id == calendar_id)]

    def add_event(self, event: StoredEvent) -> None:
        self.events[event.event_id] = event
        if event.transaction_id:
            self.transactions[(event.user_id, event.transaction_id)] = event

    def by_transaction_id(self, user_id: str, transaction_id: str) -> StoredEvent | None:
        """The live event of the mailbox created with ``transaction_id``, if any (a deleted
        one's id may be used again: the newer create replaces it in the index)."""
        event = self.transactions.get((user_id, transaction_id))
        return event if event is not None and not event.deleted else None

    def invalidate_delta_tokens(self) -> None:
        self.generation = secrets.token_hex(4)

    # --- grants and tokens ---------------------------------------------------------------
    def grant_for(self, user_id: str) -> Grant | None:
        for grant in self.grants.values():
            if grant.user_id == user_id and not grant.revoked:
                return grant
        return None

    def consent(self, user_id: str, scopes: frozenset[str]) -> Grant:
        """The user's live grant, widened by ``scopes``; a new one if none is live."""
        grant = self.grant_for(user_id)
        if grant is None:
            grant = Grant(new_token("g_"), user_id, scopes)
            self.grants[grant.grant_id] = grant
        else:
            grant.scopes = grant.scopes | scopes
        return grant

    def issue_access_token(self, grant: Grant, expires_at: datetime) -> str:
        token = new_token("EwB")
        grant.access_tokens[token] = expires_at
        self.access_tokens[token] = grant.grant_id
        return token

    def issue_refresh_token(self, grant: Grant, expires_at: datetime) -> str:
        token = new_token("M.C5")
        grant.refresh_tokens.add(token)
        self.refresh_tokens[token] = RefreshToken(grant.grant_id, expires_at)
        return token

    def retire_refresh_token(self, token: str, now: datetime, grace: float | None) -> None:
        """A refresh token was used and replaced: it lives on (None), dies now (0) or later."""
        record = self.refresh_tokens.get(token)
        if record is None or grace is None:
            return
        record.dies_at = now + timedelta(seconds=grace)

    def grant_for_access_token(self, token: str, now: datetime) -> Grant | None:
        grant = self.grants.get(self.access_tokens.get(token, ""))
        if grant is None or grant.revoked or grant.access_tokens[token] <= now:
            return None
        return grant

    def revoke(self, grant: Grant) -> None:
        """Kill every token of the grant (user or admin revocation, password reset)."""
        grant.revoked = True
        for token in grant.access_tokens:
            self.access_tokens.pop(token, None)
