"""The people of the account: lookup by id, email and API token, and their JSON form."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.zendesk.assumptions import USER_TIME_ZONE_STYLES
from zdcal.sandbox.zendesk.errors import RecordInvalid, RecordNotFound
from zdcal.sandbox.zendesk.model import USER_ROLES, User
from zdcal.sandbox.zendesk.rails_time_zones import rails_time_zone_name
from zdcal.sandbox.zendesk.timestamps import iso_z


class UserDirectory:
    """All users, keyed by id."""

    def __init__(self) -> None:
        self.by_id: dict[int, User] = {}
        self._next_id = 10_001

    def clear(self) -> None:
        """Forget everyone (sandbox reset)."""
        self.by_id.clear()
        self._next_id = 10_001

    def add(self, spec: dict[str, Any], now: int) -> User:
        """Create a user from a seed entry.

        ``{"id"?, "name", "email", "role", "iana_time_zone", "time_zone_style"?,
        "api_token"?, "active"?}``; ``time_zone_style`` ``"iana"`` shows ``time_zone`` as
        the IANA id, ``"rails"`` (the default) as the Rails name.
        """
        role = spec.get("role", "end-user")
        if role not in USER_ROLES:
            raise RecordInvalid.field("role", f"Role: {role} is not valid")
        zone = spec.get("iana_time_zone", "Etc/UTC")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RecordInvalid.field("time_zone", f"Time zone: {zone} is not valid") from exc
        style = spec.get("time_zone_style", "rails")
        if style not in USER_TIME_ZONE_STYLES:
            raise RecordInvalid.field("time_zone_style", f"must be one of {USER_TIME_ZONE_STYLES}")
        email = str(spec.get("email", "")).strip().lower()
        if not email or "@" not in email:
            raise RecordInvalid.field("email", "Email: is invalid")
        if self.by_email(email) is not None:
            raise RecordInvalid.field("email", f"Email: {email} is already being used")
        user_id = int(spec["id"]) if spec.get("id") is not None else self._next_id
        if user_id in self.by_id:
            raise RecordInvalid.field("id", f"Id: {user_id} is already being used")
        self._next_id = max(self._next_id, user_id + 1)
        user = User(
            id=user_id,
            name=str(spec.get("name") or email),
            email=email,
            role=role,
            iana_time_zone=zone,
            created_at=now,
            updated_at=now,
            active=bool(spec.get("active", True)),
            api_token=spec.get("api_token"),
            iana_style_time_zone=style == "iana",
        )
        self.by_id[user_id] = user
        return user

    def get(self, user_id: int) -> User:
        """The user with this id, or 404."""
        user = self.by_id.get(user_id)
        if user is None:
            raise RecordNotFound()
        return user

    def update(self, user_id: int, fields: dict[str, Any], now: int) -> User:
        """Apply an Update User body's ``name`` and ``role``; other fields are ignored
        (see assumptions, "Users")."""
        user = self.get(user_id)
        role = fields.get("role", user.role)
        if role not in USER_ROLES:
            raise RecordInvalid.field("role", f"Role: {role} is not valid")
        name = fields.get("name", user.name)
        if not isinstance(name, str) or not name.strip():
            raise RecordInvalid.field("name", "Name: cannot be blank")
        user.role, user.name, user.updated_at = role, name.strip(), now
        return user

    def by_email(self, email: str) -> User | None:
        """The user with this (case-insensitive) email, if any."""
        wanted = email.strip().lower()
        return next((u for u in self.by_id.values() if u.email == wanted), None)

    def is_assignable(self, user_id: int) -> bool:
        """Whether a ticket may be assigned to this user (an active agent or admin)."""
        user = self.by_id.get(user_id)
        return user is not None and user.active and user.role in ("agent", "admin")


def user_json(user: User, base_url: str) -> dict[str, Any]:
    """A user as the Users API renders it."""
    return {
        "id": user.id,
        "url": f"{base_url}/api/v2/users/{user.id}.json",
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "verified": True,
        "suspended": False,
        "time_zone": (
            user.iana_time_zone
            if user.iana_style_time_zone
            else rails_time_zone_name(user.iana_time_zone)
        ),
        "iana_time_zone": user.iana_time_zone,
        "locale": "en-US",
        "locale_id": 1,
        "created_at": iso_z(user.created_at),
        "updated_at": iso_z(user.updated_at),
        "tags": [],
        "user_fields": {},
    }


def anonymous_user_json() -> dict[str, Any]:
    """What ``GET /api/v2/users/me`` answers without credentials."""
    return {
        "id": None,
        "url": None,
        "name": "Anonymous user",
        "email": "invalid@example.com",
        "role": "end-user",
        "active": True,
        "verified": False,
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "locale": "en-US",
        "locale_id": 1,
        "created_at": None,
        "updated_at": None,
    }
