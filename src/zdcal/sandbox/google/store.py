"""The simulator's memory, behind one lock. No HTTP in here."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

from zdcal.sandbox.google.config import SeedUser
from zdcal.sandbox.google.model import AuthorizationCode, Calendar, Grant, StoredEvent
from zdcal.sandbox.google.push import Channel

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


def new_event_id() -> str:
    """A server-chosen event id: 26 base32hex characters, as Google's look."""
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class GoogleState:
    """Users' calendars, events (never purged: deleted ones stay ``cancelled``) and grants.

    Every change takes the next ``change_no``; ``generation`` changes when sync tokens are
    invalidated (reset, or the control API's expiry), so older tokens answer 410.
    """

    def __init__(self, users: tuple[SeedUser, ...]) -> None:
        self.lock = threading.RLock()
        self.generation = secrets.token_hex(4)
        self.change_no = 0
        self.calendars: dict[str, Calendar] = {}
        self.calendar_lists: dict[str, list[str]] = {}
        self.events: dict[tuple[str, str], StoredEvent] = {}
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self._by_access_token: dict[str, str] = {}
        self._by_refresh_token: dict[str, str] = {}
        self.channels: dict[str, Channel] = {}
        for user in users:
            self.add_user(user)

    # --- users and calendars ---------------------------------------------------------------
    def add_user(self, user: SeedUser) -> None:
        if user.email in self.calendar_lists:
            raise ValueError(f"user {user.email} already exists")
        self.calendar_lists[user.email] = []
        for index, seed in enumerate(user.calendars):
            primary = index == 0 and seed.calendar_id is None
            calendar_id = user.email if primary else seed.calendar_id or new_event_id()
            calendar = self.calendars.get(calendar_id) or Calendar(
                calendar_id, user.email, seed.summary, seed.access_role, seed.time_zone, primary
            )
            self.calendars[calendar_id] = calendar
            self.calendar_lists[user.email].append(calendar_id)

    def calendar_of(self, email: str, calendar_id: str) -> Calendar | None:
        """The user's calendar (``primary`` names their own); None if not in their list."""
        if calendar_id == "primary":
            calendar_id = email
        if calendar_id not in self.calendar_lists.get(email, []):
            return None
        return self.calendars[calendar_id]

    # --- events ------------------------------------------------------------------------------
    def next_change(self) -> int:
        self.change_no += 1
        return self.change_no

    def events_of(self, calendar_id: str) -> list[StoredEvent]:
        """The calendar's events, cancelled ones too, in order of their last change."""
        found = [e for (cal, _), e in self.events.items() if cal == calendar_id]
        return sorted(found, key=lambda event: event.change_no)

    def invalidate_sync_tokens(self) -> None:
        self.generation = secrets.token_hex(4)

    # --- grants and tokens -------------------------------------------------------------------
    def grant_for(self, email: str) -> Grant | None:
        """The user's live grant to the (single) client, if any."""
        for grant in self.grants.values():
            if grant.email == email and not grant.revoked:
                return grant
        return None

    def new_grant(self, email: str, scopes: frozenset[str]) -> Grant:
        grant = Grant(new_token("g_"), email, scopes, None)
        self.grants[grant.grant_id] = grant
        return grant

    def issue_refresh_token(self, grant: Grant) -> str:
        if grant.refresh_token is not None:
            self._by_refresh_token.pop(grant.refresh_token, None)
        grant.refresh_token = new_token("1//")
        self._by_refresh_token[grant.refresh_token] = grant.grant_id
        return grant.refresh_token

    def issue_access_token(self, grant: Grant, expires_at: datetime) -> str:
        token = new_token("ya29.")
        grant.access_tokens[token] = expires_at
        self._by_access_token[token] = grant.grant_id
        return token

    def grant_for_access_token(self, token: str, now: datetime) -> Grant | None:
        grant = self.grants.get(self._by_access_token.get(token, ""))
        if grant is None or grant.revoked or grant.access_tokens[token] <= now:
            return None
        return grant

    def grant_for_refresh_token(self, token: str) -> Grant | None:
        grant = self.grants.get(self._by_refresh_token.get(token, ""))
        return grant if grant is not None and not grant.revoked else None

    def grant_for_any_token(self, token: str) -> Grant | None:
        grant_id = self._by_access_token.get(token) or self._by_refresh_token.get(token)
        grant = self.grants.get(grant_id or "")
        return grant if grant is not None and not grant.revoked else None

    def revoke(self, grant: Grant) -> None:
        """Kill the grant's access and refresh tokens (revoking either revokes both)."""
        grant.revoked = True
        for token in grant.access_tokens:
            self._by_access_token.pop(token, None)
        if grant.refresh_token is not None:
            self._by_refresh_token.pop(grant.refresh_token, None)
