"""Finding the signed-in user of a request in the server-side sessions, and keeping their
role true to Zendesk.

The role ``/users/me`` gave at sign-in is read again from Zendesk (``/users/{id}`` with
the account's stored credentials) once ``web_role_check_interval_seconds`` have passed:
an admin demoted in Zendesk loses the admin pages within that interval, and someone
Zendesk no longer counts as an agent (deleted, suspended, made an end-user) is signed out.
A re-check is one request per signed-in person per interval, made only when they use a
page, which is why it is preferred to short admin sessions (admins keep their sign-in).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from zdcal.live.services import Services
from zdcal.runtime import zendesk_auth
from zdcal.store import WebSession
from zdcal.web.pages.identity import SESSION_ID_KEY, SIGNED_IN_SCOPE_KEY, SignedIn, session_id
from zdcal.zendesk.auth import OAuthAuth
from zdcal.zendesk.errors import NotFound, ZendeskError
from zdcal.zendesk.models import User

log = logging.getLogger(__name__)

_UNCHECKED_PATHS = ("/static/",)


class ServerSessions:
    """ASGI middleware, inside :class:`~zdcal.web.pages.sessions.SessionCookies`: puts
    the request's signed-in user (or ``None``) where :func:`current_user` finds it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_UNCHECKED_PATHS):
            services: Services = scope["state"]["services"]
            scope[SIGNED_IN_SCOPE_KEY] = await signed_in_user(services, scope["session"])
        await self.app(scope, receive, send)


async def signed_in_user(services: Services, cookie_session: dict[str, Any]) -> SignedIn | None:
    """Who the cookie's session id signs in, with the role Zendesk last confirmed.

    A session that ended or expired is also forgotten by the cookie.
    """
    current_id = session_id(cookie_session)
    if current_id is None:
        return None
    async with services.store.transaction() as tx:
        found = await tx.web_sessions.find(current_id)
    interval = timedelta(seconds=services.settings.web_role_check_interval_seconds)
    role = found.role if found is not None else None
    if found is not None and services.clock.now() - found.role_checked_at >= interval:
        role = await _role_now(services, current_id, found)
    if found is None or role is None:
        cookie_session.pop(SESSION_ID_KEY, None)
        return None
    return SignedIn(account_id=found.account_id, agent_id=found.agent_row_id,
                    zendesk_user_id=found.zendesk_user_id, name=found.name, role=role)


async def _role_now(services: Services, current_id: str, found: WebSession) -> str | None:
    """The role Zendesk gives the user now, recorded; ``None`` (the session ended) when
    Zendesk no longer counts them as an agent.

    When Zendesk cannot be asked, an admin is treated as an agent for this request (no
    admin page on an unconfirmed role) and the check runs again on the next one.
    """
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(found.account_id)
    if account is None:
        return None
    auth = zendesk_auth(account)
    if isinstance(auth, OAuthAuth):
        # Never refresh from here: the worker holding the account may be refreshing too,
        # and Zendesk rotates refresh tokens, so one of the two would lose the account.
        auth = dataclasses.replace(auth, refresh_token=None)
    client = services.runtime.zendesk_client_for(account.base_url, auth, services.zendesk_http)
    user: User | None
    try:
        user = await client.show_user(found.zendesk_user_id)
    except NotFound:
        user = None
    except (ZendeskError, httpx.HTTPError) as exc:
        log.warning("role of Zendesk user %s not confirmed (%s); asking again next time",
                    found.zendesk_user_id, type(exc).__name__)
        return "agent" if found.role == "admin" else found.role
    still_agent = (user is not None and user.is_agent and user.active is not False
                   and not user.suspended)
    async with services.store.transaction() as tx:
        if user is None or not still_agent:
            await tx.web_sessions.end(current_id)
            log.info("session of Zendesk user %s ended: no longer an agent",
                     found.zendesk_user_id)
            return None
        role = "admin" if user.is_admin else "agent"
        await tx.web_sessions.confirm_role(current_id, role)
    return role
