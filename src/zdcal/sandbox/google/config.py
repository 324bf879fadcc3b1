"""What one simulated Google is started with: its OAuth client, users and calendars."""

from __future__ import annotations

from dataclasses import dataclass, field

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
