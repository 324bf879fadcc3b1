"""What one simulated Google is started with: its OAuth client, users and calendars,
quotas, faults and push retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.faults import Faults
from zdcal.sandbox.google import assumptions


@dataclass(frozen=True)
class SeedCalendar:
    """A calendar in a user's calendar list; ``calendar_id`` None means the primary one."""

    summary: str
    access_role: str = "owner"
    time_zone: str = "UTC"
    calendar_id: str | None = None


@dataclass(frozen=True)
class SeedUser:
    """A Google account; its primary calendar's id is its email, as at Google."""

    email: str
    calendars: tuple[SeedCalendar, ...] = (SeedCalendar("Primary"),)


def parse_users(body: object) -> tuple[SeedUser, ...]:
    """Users from ``{"users": [{"email": ..., "calendars": [{"summary": ..., "access_role":
    ..., "time_zone": ..., "calendar_id": ...}]}]}`` (the body of ``POST /_sandbox/users``
    and a scenario's ``google`` seed). No ``calendars``: one primary calendar."""
    if not isinstance(body, dict) or not isinstance(body.get("users"), list):
        raise ValueError('give users as {"users": [{"email": ..., "calendars": [...]}]}')
    users = []
    for entry in body["users"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("email"), str) or (
            "@" not in entry["email"]
        ):
            raise ValueError("every user needs an email address")
        raw_calendars = entry.get("calendars", [{"summary": entry["email"]}])
        if not isinstance(raw_calendars, list) or not raw_calendars:
            raise ValueError(f"{entry['email']}: calendars must be a non-empty list")
        calendars = []
        for raw in raw_calendars:
            if not isinstance(raw, dict) or set(raw) - _CALENDAR_FIELDS:
                raise ValueError(f"{entry['email']}: a calendar takes {sorted(_CALENDAR_FIELDS)}")
            if not all(isinstance(v, str) and v for v in raw.values()):
                raise ValueError(f"{entry['email']}: calendar fields are non-empty strings")
            email: str = entry["email"]
            calendar = SeedCalendar(str(raw.get("summary", email)),
                                    str(raw.get("access_role", "owner")),
                                    str(raw.get("time_zone", "UTC")), raw.get("calendar_id"))
            if calendar.access_role not in _ACCESS_ROLES:
                raise ValueError(f"{entry['email']}: access_role is one of {_ACCESS_ROLES}")
            try:
                ZoneInfo(calendar.time_zone)
            except (ValueError, ZoneInfoNotFoundError):
                raise ValueError(f"{entry['email']}: unknown time zone") from None
            calendars.append(calendar)
        users.append(SeedUser(entry["email"], tuple(calendars)))
    return tuple(users)


_CALENDAR_FIELDS = {"summary", "access_role", "time_zone", "calendar_id"}
_ACCESS_ROLES = ("owner", "writer", "reader", "freeBusyReader")


def default_users() -> tuple[SeedUser, ...]:
    return (
        SeedUser(
            "agent@example.com",
            (
                SeedCalendar("agent@example.com", time_zone="Europe/Berlin"),
                SeedCalendar(
                    "Holidays",
                    access_role="reader",
                    calendar_id="en.german#holiday@group.v.calendar.google.com",
                ),
            ),
        ),
        SeedUser("other@example.com"),
    )


@dataclass
class GoogleSimConfig:
    client_id: str = "sandbox-client.apps.googleusercontent.com"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - a fixed sandbox value
    redirect_uris: tuple[str, ...] = ()
    """Registered redirect URIs; empty accepts any http(s) URI (handy in tests)."""
    users: tuple[SeedUser, ...] = field(default_factory=default_users)
    access_token_ttl_seconds: int = assumptions.ACCESS_TOKEN_TTL_SECONDS
    requests_per_minute_per_user: int = assumptions.REQUESTS_PER_MINUTE_PER_USER
    requests_per_minute_per_project: int = assumptions.REQUESTS_PER_MINUTE_PER_PROJECT
    quota_status: int = assumptions.QUOTA_STATUS
    faults: Faults = field(default_factory=Faults)
    """The fault knobs at start and after ``/_sandbox/reset``."""
    seed: dict[str, Any] | None = None
    """A ``{"users": [...]}`` body (see :func:`parse_users`) replacing ``users`` (scenarios)."""
    push_retries: int = assumptions.PUSH_RETRIES
    push_retry_base_seconds: float = assumptions.PUSH_RETRY_BASE_SECONDS
    push_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.users = parse_users(self.seed)
        check_quota_status(self.quota_status)


def check_quota_status(status: int) -> None:
    if status not in (403, 429):
        raise ValueError("quota_status is 403 or 429 (Google answers quota refusals with both)")
