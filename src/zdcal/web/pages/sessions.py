"""Page sessions: an encrypted, signed cookie (Fernet), HttpOnly and SameSite.

The cookie holds the id of the server-side session of whoever signed in (see
:mod:`zdcal.web.pages.server_sessions`), the CSRF token and the OAuth flow in progress
(its ``state``, the PKCE verifier and, while an admin connects an account, the OAuth
client secret they typed): so it is encrypted, not only signed. Nothing is stored on the
server before someone signs in. The key is derived from zdcal's secret key, so rotating
that key signs everyone out.

Cookie flags follow ``public_url``: over https the cookie is ``Secure; SameSite=None``,
which lets the pages work inside Zendesk's iframe (a third-party context); over plain
http (local use, the demo) browsers refuse ``SameSite=None`` without ``Secure``, so it is
``SameSite=Lax``. CSRF tokens protect every form either way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zdcal.runtime import KEY_FILE
from zdcal.settings import Settings
from zdcal.store import load_or_create_key

COOKIE_NAME = "zdcal_session"
_KEY_CONTEXT = b"zdcal web session cookie v1"


@dataclass(frozen=True)
class CookiePolicy:
    """How the session cookie is sealed and which attributes it carries."""

    fernet: Fernet
    max_age: int
    secure: bool

    @property
    def same_site(self) -> str:
        return "none" if self.secure else "lax"

    def open(self, cookie: str | None) -> dict[str, Any]:
        """The session in a cookie; empty when absent, forged, expired or unreadable."""
        if not cookie:
            return {}
        try:
            data = json.loads(self.fernet.decrypt(cookie.encode("ascii"), ttl=self.max_age))
        except (InvalidToken, ValueError, UnicodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def seal(self, session: dict[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(session, separators=(",", ":")).encode()).decode()

    def header(self, value: str, *, max_age: int) -> str:
        parts = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly",
                 f"SameSite={self.same_site}"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


def derived_key(settings: Settings, context: bytes) -> bytes:
    """A key of its own for ``context``, derived from zdcal's secret key (HMAC as a KDF):
    the vault's key never encrypts or signs anything else."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        material = settings.secret_key.get_secret_value()
    else:
        material = load_or_create_key(settings.data_dir / KEY_FILE)
    return hmac.new(material.strip().encode(), context, hashlib.sha256).digest()


def cookie_policy(settings: Settings) -> CookiePolicy:
    """The cookie policy for these settings (key derived from the secret key)."""
    derived = derived_key(settings, _KEY_CONTEXT)
    return CookiePolicy(
        fernet=Fernet(base64.urlsafe_b64encode(derived)),
        max_age=settings.web_session_max_age_seconds,
        secure=settings.public_url.startswith("https://"),
    )


class SessionCookies:
    """ASGI middleware giving ``request.session`` from the encrypted cookie.

    The settings come from the lifespan state (``scope["state"]["services"]``), so the
    pages app can be built before the settings are known.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._policies: dict[int, CookiePolicy] = {}

    def _policy(self, scope: Scope) -> CookiePolicy:
        settings: Settings = scope["state"]["services"].settings
        policy = self._policies.get(id(settings))
        if policy is None:
            policy = self._policies[id(settings)] = cookie_policy(settings)
        return policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(scope)
        scope["session"] = policy.open(HTTPConnection(scope).cookies.get(COOKIE_NAME))
        before = json.dumps(scope["session"], sort_keys=True)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if json.dumps(session, sort_keys=True) != before:
                    headers = MutableHeaders(scope=message)
                    if session:
                        cookie = policy.header(policy.seal(session), max_age=policy.max_age)
                    else:
                        cookie = policy.header("", max_age=0)
                    headers.append("Set-Cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)
