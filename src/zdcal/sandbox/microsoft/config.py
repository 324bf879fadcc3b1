"""What one simulated Microsoft 365 tenant is started with: its app registration, users and
calendars, limits and fault knobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zdcal.sandbox.faults import Faults
from zdcal.sandbox.microsoft import assumptions


@dataclass(frozen=True)
class SeedCalendar:
    """A calendar in a user's mailbox; the first one of a user is the default calendar."""

    name: str
    can_edit: bool = True
    owner: str | None = None
    """Address of the owner when shared with the user; None: the user's own calendar."""


@dataclass(frozen=True)
class SeedUser:
    email: str
    display_name: str
    calendars: tuple[SeedCalendar, ...] = (SeedCalendar("Calendar"),)


def parse_users(body: object) -> list[SeedUser]:
    """``{"users": [{"email", "displayName", "calendars": [{"name", "canEdit", "owner"}]}]}``
    (the body of ``POST /_sandbox/users`` and a scenario's ``microsoft`` seed); a ValueError
    names the first bad entry."""
    entries = body.get("users") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError('give {"users": [{"email": ..., "displayName": ..., "calendars": '
                         '[{"name": ..., "canEdit": true, "owner": null}]}]}')
    users = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("email"), str) or (
            "@" not in entry["email"]
        ):
            raise ValueError(f"a user needs an email address: {entry!r}")
        calendars = entry.get("calendars", [{"name": "Calendar"}])
        if not isinstance(calendars, list) or not calendars or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str)
            and isinstance(c.get("canEdit", True), bool)
            and isinstance(c.get("owner") or "", str) for c in calendars
        ):
            raise ValueError(f"calendars of {entry['email']} must be objects with a name")
        users.append(SeedUser(
            entry["email"], str(entry.get("displayName") or entry["email"]),
            tuple(SeedCalendar(c["name"], c.get("canEdit", True), c.get("owner"))
                  for c in calendars),
        ))
    return users


def default_users() -> tuple[SeedUser, ...]:
    return (
        SeedUser(
            "agent@contoso.example", "Agent Smith",
            (
                SeedCalendar("Calendar"),
                SeedCalendar("Support tasks"),
                SeedCalendar("Team (shared)", can_edit=False, owner="lead@contoso.example"),
            ),
        ),
        SeedUser("other@contoso.example", "Other Agent"),
    )


@dataclass
class MicrosoftSimConfig:
    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - a fixed sandbox value
    tenant_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    redirect_uris: tuple[str, ...] = ()
    """Registered redirect URIs; empty accepts any http(s) URI (handy in tests)."""
    users: tuple[SeedUser, ...] = field(default_factory=default_users)
    access_token_ttl_seconds: int = assumptions.ACCESS_TOKEN_TTL_SECONDS
    refresh_token_ttl_seconds: int = assumptions.REFRESH_TOKEN_TTL_SECONDS
    old_refresh_token_grace_seconds: float | None = None
    """None: a replaced refresh token keeps working (documented); 0: dies at once; N: after N s."""
    requests_per_window: int = assumptions.REQUESTS_PER_WINDOW
    window_seconds: float = assumptions.WINDOW_SECONDS
    concurrent_requests: int = assumptions.CONCURRENT_REQUESTS
    subscription_max_minutes: int = assumptions.SUBSCRIPTION_MAX_MINUTES
    validation_timeout_seconds: float = assumptions.VALIDATION_TIMEOUT_SECONDS
    notification_timeout_seconds: float = assumptions.NOTIFICATION_TIMEOUT_SECONDS
    notification_retry_delays: tuple[float, ...] = assumptions.NOTIFICATION_RETRY_DELAYS
    faults: Faults = field(default_factory=Faults)
    seed: dict[str, Any] | None = None
    """A ``{"users": [...]}`` body (see :func:`parse_users`) replacing ``users`` (scenarios)."""

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.users = tuple(parse_users(self.seed))
