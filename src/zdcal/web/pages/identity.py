"""Who is signed in: the Zendesk user whose OAuth token proved it (never a typed id).

The session records the account, the Zendesk user id and role from ``/users/me`` at
sign-in, and the zdcal agent row that user maps to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from zdcal.web.pages.errors import NotAnAdmin, NotSignedIn
from zdcal.web.pages.headers import FRAME_ORIGINS_KEY

_USER_KEY = "user"


@dataclass(frozen=True)
class SignedIn:
    """The signed-in Zendesk user of one account."""

    account_id: int
    agent_id: int  # zdcal's agents.id of this user
    zendesk_user_id: int
    name: str
    role: str  # "agent" or "admin"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def sign_in(session: dict[str, Any], user: SignedIn, frame_origins: list[str]) -> None:
    """Start a fresh session for ``user``; whatever the previous one held is dropped."""
    session.clear()
    session[_USER_KEY] = {
        "account_id": user.account_id,
        "agent_id": user.agent_id,
        "zendesk_user_id": user.zendesk_user_id,
        "name": user.name,
        "role": user.role,
    }
    session[FRAME_ORIGINS_KEY] = frame_origins


def sign_out(session: dict[str, Any]) -> None:
    session.clear()


def current_user(request: Request) -> SignedIn | None:
    """The signed-in user, or ``None``."""
    data = request.session.get(_USER_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return SignedIn(
            account_id=int(data["account_id"]),
            agent_id=int(data["agent_id"]),
            zendesk_user_id=int(data["zendesk_user_id"]),
            name=str(data["name"]),
            role=str(data["role"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def require_user(request: Request) -> SignedIn:
    """The signed-in user; :class:`NotSignedIn` otherwise."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn("Sign in with Zendesk to see this page.")
    return user


def require_admin(request: Request) -> SignedIn:
    """The signed-in user if a Zendesk admin of their account; :class:`NotAnAdmin` otherwise."""
    user = require_user(request)
    if not user.is_admin:
        raise NotAnAdmin("This page is for the Zendesk admins of this account.")
    return user
