"""The simulator's memory and the lookups every route needs. No HTTP in here."""

from __future__ import annotations

import secrets
from datetime import datetime

from zdcal.sandbox.cronofy.model import (
    Account,
    AuthorizationCode,
    Calendar,
    Channel,
    Grant,
    StoredEvent,
)


def new_id(prefix: str) -> str:
    """An id shaped like Cronofy's (``acc_``, ``cal_``, ``chn_`` ... and 24 hex digits)."""
    return prefix + secrets.token_hex(12)


def new_token() -> str:
    """An opaque bearer token."""
    return secrets.token_urlsafe(24)


class SandboxState:
    """Accounts, calendars, events, grants, codes and channels, indexed for the routes."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, StoredEvent] = {}
        self._managed: dict[tuple[str, str], str] = {}
        self.grants: dict[str, Grant] = {}
        self._by_access_token: dict[str, str] = {}
        self._by_refresh_token: dict[str, str] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.channels: dict[str, Channel] = {}

    # --- accounts and calendars ---------------------------------------------------------
    def add_account(self, account: Account) -> None:
        if account.account_id in self.accounts:
            raise ValueError(f"account {account.account_id} already exists")
        self.accounts[account.account_id] = account

    def add_calendar(self, calendar: Calendar) -> None:
        if calendar.calendar_id in self.calendars:
            raise ValueError(f"calendar {calendar.calendar_id} already exists")
        self.calendars[calendar.calendar_id] = calendar
        self.accounts[calendar.account_id].calendar_ids.append(calendar.calendar_id)

    def calendars_of(self, account: Account) -> list[Calendar]:
        return [self.calendars[calendar_id] for calendar_id in account.calendar_ids]

    def account_calendar(self, account: Account, calendar_id: str) -> Calendar | None:
        """The calendar when it belongs to ``account``; None for unknown or someone else's."""
        calendar = self.calendars.get(calendar_id)
        return calendar if calendar and calendar.account_id == account.account_id else None

    # --- events ---------------------------------------------------------------------------
    def add_event(self, event: StoredEvent) -> None:
        self.events[event.event_uid] = event
        if event.event_id is not None:
            self._managed[(event.calendar_id, event.event_id)] = event.event_uid

    def managed_event(self, calendar_id: str, event_id: str) -> StoredEvent | None:
        event_uid = self._managed.get((calendar_id, event_id))
        return self.events[event_uid] if event_uid else None

    def events_in(self, calendar_ids: set[str]) -> list[StoredEvent]:
        return [event for event in self.events.values() if event.calendar_id in calendar_ids]

    # --- grants and tokens ------------------------------------------------------------------
    def issue_grant(self, account_id: str, scope: str, refresh_token: str | None = None) -> Grant:
        """A new authorization for ``account_id``; tokens come from :meth:`issue_access_token`."""
        grant = Grant(new_id("grt_"), account_id, scope, refresh_token or new_token())
        if grant.refresh_token in self._by_refresh_token:
            raise ValueError("refresh token already in use")
        self.grants[grant.grant_id] = grant
        self._by_refresh_token[grant.refresh_token] = grant.grant_id
        return grant

    def issue_access_token(
        self, grant: Grant, expires_at: datetime, token: str | None = None
    ) -> str:
        token = token or new_token()
        if token in self._by_access_token:
            raise ValueError("access token already in use")
        grant.access_tokens[token] = expires_at
        self._by_access_token[token] = grant.grant_id
        return token

    def rotate_refresh_token(self, grant: Grant) -> str:
        """Replace the grant's refresh token; the old one stops working immediately."""
        del self._by_refresh_token[grant.refresh_token]
        grant.refresh_token = new_token()
        self._by_refresh_token[grant.refresh_token] = grant.grant_id
        return grant.refresh_token

    def grant_for_access_token(self, token: str) -> Grant | None:
        grant_id = self._by_access_token.get(token)
        return self.grants[grant_id] if grant_id else None

    def grant_for_refresh_token(self, token: str) -> Grant | None:
        grant_id = self._by_refresh_token.get(token)
        return self.grants[grant_id] if grant_id else None

    def access_token_valid(self, grant: Grant, token: str, now: datetime) -> bool:
        expires_at = grant.access_tokens.get(token)
        return not grant.revoked and expires_at is not None and now < expires_at

    def revoke_grant(self, grant: Grant) -> None:
        """Kill every token of the authorization; its channels close with it."""
        grant.revoked = True
        for token in grant.access_tokens:
            self._by_access_token.pop(token, None)
        self._by_refresh_token.pop(grant.refresh_token, None)
        if not any(
            g.account_id == grant.account_id and not g.revoked for g in self.grants.values()
        ):
            for channel in self.channels_of(grant.account_id):
                del self.channels[channel.channel_id]

    def grants_of(self, account_id: str) -> list[Grant]:
        return [g for g in self.grants.values() if g.account_id == account_id and not g.revoked]

    # --- channels ---------------------------------------------------------------------------
    def channels_of(self, account_id: str) -> list[Channel]:
        return [c for c in self.channels.values() if c.account_id == account_id]
