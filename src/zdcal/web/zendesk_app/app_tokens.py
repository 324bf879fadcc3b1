"""zdcal's own short-lived token for a Zendesk app view, carried in the page and sent by
the app's JavaScript as ``Authorization: Bearer <token>`` on every call: Zendesk frames
the app in a third-party context, where browsers block cookies, so no cookie is used.

An HS256 JWT under a key derived from zdcal's secret key (its own context: the vault's
and the session cookie's keys never sign it), naming the account, the Zendesk user, the
installation and an expiry 15 minutes on. Reloading the app (a new signed URL) gives a
new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
from starlette.requests import Request

from zdcal.live.services import Services
from zdcal.settings import Settings
from zdcal.web.pages.errors import PageError
from zdcal.web.pages.sessions import derived_key

LIFETIME_SECONDS = 15 * 60
AUDIENCE = "zdcal-zendesk-app"
_KEY_CONTEXT = b"zdcal zendesk app token v1"


class AppTokenRefused(PageError):
    """A call without a valid app token: missing, tampered with or expired."""

    status = 401
    title = "Reload the zdcal app"


@dataclass(frozen=True)
class AppSession:
    """Who an app token speaks for."""

    account_id: int
    zendesk_user_id: int
    installation_id: int


def _key(settings: Settings) -> bytes:
    return derived_key(settings, _KEY_CONTEXT)


def issue(services: Services, session: AppSession, *, lifetime: int = LIFETIME_SECONDS) -> str:
    """A token for ``session``, valid ``lifetime`` seconds."""
    now = int(services.clock.now().timestamp())
    claims = {"aud": AUDIENCE, "acc": session.account_id, "sub": str(session.zendesk_user_id),
              "ins": session.installation_id, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, _key(services.settings), algorithm="HS256")


def check(services: Services, token: str) -> AppSession:
    """The session a token speaks for; :class:`AppTokenRefused` if it is not one of ours
    or has expired (by zdcal's clock)."""
    try:
        claims = jwt.decode(
            token, _key(services.settings), algorithms=["HS256"], audience=AUDIENCE,
            options={"require": ["acc", "sub", "ins", "exp"], "verify_exp": False},
        )
        session = AppSession(int(claims["acc"]), int(claims["sub"]), int(claims["ins"]))
        expires = int(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise AppTokenRefused("This app view is not valid any more; reload the app.") from exc
    if expires < services.clock.now().timestamp():
        raise AppTokenRefused("This app view expired; reload the app.")
    return session


def from_request(request: Request) -> AppSession:
    """The session of an app API call (``Authorization: Bearer``)."""
    services: Services = request.state.services
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AppTokenRefused("Open zdcal from its app inside Zendesk.")
    return check(services, token.strip())
