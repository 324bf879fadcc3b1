"""Who is signed in: the Zendesk user whose OAuth token proved it (never a typed id).

A sign-in starts a server-side session (:class:`zdcal.store.WebSessions`) for the account,
the Zendesk user and the role ``/users/me`` gave; the encrypted cookie carries only its
random id. :class:`zdcal.web.pages.server_sessions.ServerSessions` finds the session
again on every request (:func:`current_user`), so signing out, or Zendesk no longer
counting the user as an agent, ends it for every copy of the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import HTTPConnection, Request

from zdcal.live.services import Services
from zdcal.web.pages.errors import NotAnAdmin, NotSignedIn
from zdcal.web.pages.headers import FRAME_ORIGINS_KEY

SESSION_ID_KEY = "sid"
# Where the middleware leaves the signed-in user of this request.
SIGNED_IN_SCOPE_KEY = "zdcal.signed_in"


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


def session_id(session: dict[str, Any]) -> str | None:
    """The server-side session id the cookie carries, if any."""
    value = session.get(SESSION_ID_KEY)
    return value if isinstance(value, str) and value else None


async def sign_in(request: Request, user: SignedIn, frame_origins: list[str]) -> None:
    """Start a fresh session for ``user``; the browser's previous one ends."""
    services: Services = request.state.services
    lifetime = timedelta(seconds=services.settings.web_session_max_age_seconds)
    previous = session_id(request.session)
    async with services.store.transaction() as tx:
        if previous is not None:
            await tx.web_sessions.end(previous)
        new_id = await tx.web_sessions.start(
            user.account_id, user.zendesk_user_id, user.role, lifetime
        )
    request.session.clear()
    request.session[SESSION_ID_KEY] = new_id
    request.session[FRAME_ORIGINS_KEY] = frame_origins
    request.scope[SIGNED_IN_SCOPE_KEY] = user


async def sign_out(request: Request) -> None:
    """End the session on the server (every copy of the cookie) and in this browser."""
    services: Services = request.state.services
    ending = session_id(request.session)
    if ending is not None:
        async with services.store.transaction() as tx:
            await tx.web_sessions.end(ending)
    request.session.clear()
    request.scope[SIGNED_IN_SCOPE_KEY] = None


def current_user(connection: HTTPConnection) -> SignedIn | None:
    """The signed-in user, or ``None``."""
    user = connection.scope.get(SIGNED_IN_SCOPE_KEY)
    return user if isinstance(user, SignedIn) else None


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
