"""zdcal's own short-lived token for a Zendesk app view, carried in the page and sent by
the app's JavaScript as ``Authorization: Bearer <token>`` on every call: Zendesk frames
the app in a third-party context, where browsers block cookies, so no cookie is used.

An HS256 JWT under a key derived from zdcal's secret key (its own context: the vault's
and the session cookie's keys never sign it), naming the account, the Zendesk user, the
installation and an expiry 15 minutes on. Reloading the app (a new signed URL) gives a
new one.

A *connect link* is the same kind of token under another audience (so neither passes for
the other), one minute long, naming the calendar service to connect; it is opened in a
top-level window, and :mod:`zdcal.web.zendesk_app.views` accepts each one once.
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
LINK_AUDIENCE = "zdcal-zendesk-app-connect-link"
LINK_LIFETIME_SECONDS = 60
_KEY_CONTEXT = b"zdcal zendesk app token v1"


class AppTokenRefused(PageError):
    """A call without a valid app token: missing, tampered with or expired."""

    status = 401
    title = "Reload the zdcal app"


class ConnectLinkRefused(PageError):
    """A connect link that is not one of ours, has expired or was used already."""

    status = 401
    title = "This link no longer works"


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
    return _encode(services, session, AUDIENCE, lifetime, {})


def issue_link(services: Services, session: AppSession, backend: str) -> str:
    """A connect link's token for ``session``: connect ``backend`` ("" for the agent
    page's connect section), valid one minute."""
    return _encode(services, session, LINK_AUDIENCE, LINK_LIFETIME_SECONDS, {"bk": backend})


def _encode(services: Services, session: AppSession, audience: str, lifetime: int,
            more: dict[str, str]) -> str:
    now = int(services.clock.now().timestamp())
    claims = {"aud": audience, "acc": session.account_id, "sub": str(session.zendesk_user_id),
              "ins": session.installation_id, "iat": now, "exp": now + lifetime, **more}
    return jwt.encode(claims, _key(services.settings), algorithm="HS256")


def check(services: Services, token: str) -> AppSession:
    """The session a token speaks for; :class:`AppTokenRefused` if it is not one of ours
    or has expired (by zdcal's clock)."""
    claims = _decode(services, token, AUDIENCE)
    if claims is None:
        raise AppTokenRefused("This app view is not valid any more; reload the app.")
    session, expires = claims[0], claims[1]
    if expires < services.clock.now().timestamp():
        raise AppTokenRefused("This app view expired; reload the app.")
    return session


def check_link(services: Services, token: str) -> tuple[AppSession, str]:
    """The session and the calendar service of a connect link (not yet claimed: the
    caller makes it single-use); :class:`ConnectLinkRefused` if it is not one of ours or
    has expired."""
    claims = _decode(services, token, LINK_AUDIENCE)
    if claims is None:
        raise ConnectLinkRefused(
            "This connect link is not valid. Click \"Connect my calendar\" in the zdcal "
            "app inside Zendesk again.")
    session, expires, backend = claims
    if expires < services.clock.now().timestamp():
        raise ConnectLinkRefused(
            "This connect link expired (it works for one minute). Click \"Connect my "
            "calendar\" in the zdcal app inside Zendesk again.")
    return session, backend


def _decode(services: Services, token: str, audience: str) -> tuple[AppSession, int, str] | None:
    """The session, expiry and calendar service a token names under ``audience``; None
    if it is not one of ours (expiry is judged by the caller, on zdcal's clock)."""
    try:
        claims = jwt.decode(
            token, _key(services.settings), algorithms=["HS256"], audience=audience,
            options={"require": ["acc", "sub", "ins", "exp"], "verify_exp": False},
        )
        session = AppSession(int(claims["acc"]), int(claims["sub"]), int(claims["ins"]))
        return session, int(claims["exp"]), str(claims.get("bk", ""))
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None


def from_request(request: Request) -> AppSession:
    """The session of an app API call (``Authorization: Bearer``)."""
    services: Services = request.state.services
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AppTokenRefused("Open zdcal from its app inside Zendesk.")
    return check(services, token.strip())
