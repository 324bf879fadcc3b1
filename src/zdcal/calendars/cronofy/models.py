"""Typed views of what the Cronofy API returns; unknown fields are kept, not rejected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class CronofyTokens:
    """One account's OAuth tokens. The refresh token may change on every refresh."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None = None
    scope: str | None = None
    account_id: str | None = None
    sub: str | None = None
    linking_profile: Mapping[str, Any] | None = None

    def expires_within(self, now: datetime, seconds: float) -> bool:
        """True when the access token is known to expire within ``seconds`` of ``now``."""
        return self.expires_at is not None and (self.expires_at - now).total_seconds() <= seconds


class CronofyModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class Calendar(CronofyModel):
    calendar_id: str
    calendar_name: str | None = None
    provider_name: str | None = None
    profile_id: str | None = None
    profile_name: str | None = None
    calendar_readonly: bool = False
    calendar_deleted: bool = False
    calendar_primary: bool = False
    permission_level: str | None = None

    @property
    def writable(self) -> bool:
        """Only calendars that are neither read-only nor deleted can take events."""
        return not self.calendar_readonly and not self.calendar_deleted


class Account(CronofyModel):
    account_id: str
    email: str | None = None
    name: str | None = None
    scope: str | None = None
    default_tzid: str | None = None


class UserInfo(CronofyModel):
    sub: str
    email: str | None = None
    name: str | None = None
    zoneinfo: str | None = None


class Event(CronofyModel):
    """An event as read back. ``start``/``end`` are a UTC time or an all-day date string."""

    calendar_id: str
    event_uid: str | None = None
    event_id: str | None = None  # only for events we manage
    summary: str | None = None
    description: str | None = None
    start: str | dict[str, Any]
    end: str | dict[str, Any]
    deleted: bool = False
    created: datetime | None = None
    updated: datetime | None = None


class Channel(CronofyModel):
    channel_id: str
    callback_url: str
    filters: dict[str, Any] = Field(default_factory=dict)


def events_path(calendar_id: str) -> str:
    """The path where a calendar's managed events are upserted and deleted."""
    # Calendar ids look like cal_U9uu..@EAAAB..-f0kJw: '@' is legal in a path segment.
    return f"/v1/calendars/{quote(calendar_id, safe='@')}/events"


@dataclass(frozen=True)
class BatchEntry:
    """One request inside a batch; build it with :meth:`upsert` or :meth:`delete`."""

    method: Literal["POST", "DELETE"]
    relative_url: str
    data: Mapping[str, Any]

    @classmethod
    def upsert(cls, calendar_id: str, event: Mapping[str, Any]) -> BatchEntry:
        return cls("POST", events_path(calendar_id), dict(event))

    @classmethod
    def delete(cls, calendar_id: str, event_id: str) -> BatchEntry:
        return cls("DELETE", events_path(calendar_id), {"event_id": event_id})

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "relative_url": self.relative_url, "data": dict(self.data)}


@dataclass(frozen=True)
class BatchEntryResult:
    """The outcome of one batch entry, in request order."""

    status: int
    data: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errors(self) -> Mapping[str, Any]:
        """Cronofy's 422 ``errors`` mapping for this entry (empty when none)."""
        if not self.data:
            return {}
        errors = self.data.get("errors")
        return errors if isinstance(errors, Mapping) else {}
