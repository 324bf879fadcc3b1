"""Security headers on every page, and which Zendesk may frame them.

``frame-ancestors`` allows only the signed-in account's own Zendesk
(``https://<subdomain>.zendesk.com`` and the origin of its configured base URL, e.g. a
host-mapped domain); with no account known, nobody may frame the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:]+\](:[0-9]{1,5})?")
FRAME_ORIGINS_KEY = "frame_origins"


def account_origins(subdomain: str, base_url: str) -> list[str]:
    """The origins that may frame an account's pages: its zendesk.com host and base URL."""
    origins = [f"https://{subdomain.lower()}.zendesk.com"]
    parts = urlsplit(base_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(o for o in origins if _ORIGIN.fullmatch(o)))


def content_security_policy(frame_origins: Iterable[str]) -> str:
    """The CSP: own scripts and styles only, framed only by the given origins."""
    allowed = [o for o in frame_origins if _ORIGIN.fullmatch(o)]
    ancestors = " ".join(allowed) if allowed else "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
    )


class SecurityHeaders:
    """ASGI middleware adding CSP, nosniff, referrer and caching headers.

    Handlers name the framing origins through the session (signed-in pages) or
    ``request.state.frame_origins`` (pages about an account before sign-in).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                origins = scope.get("state", {}).get(FRAME_ORIGINS_KEY)
                if origins is None:
                    origins = scope.get("session", {}).get(FRAME_ORIGINS_KEY, [])
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(origins)
                headers["X-Content-Type-Options"] = "nosniff"
                # OAuth callbacks carry codes in the query: never leak them onward.
                headers["Referrer-Policy"] = "no-referrer"
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
