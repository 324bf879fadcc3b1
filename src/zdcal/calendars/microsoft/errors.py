"""Typed Microsoft Graph and identity-platform failures, read from their error bodies.

Graph answers ``{"error": {"code", "message", "innerError": {...}}}``; the identity
platform ``{"error": "invalid_grant", "error_description": "AADSTS70008: ...",
"error_codes": [70008], ...}``. Both are parsed leniently (any part may be missing) and
only the codes are branched on, never the descriptions (Microsoft says they change).
Messages name the method and path, never a header or a token.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

RESYNC_CODES = frozenset({"syncStateNotFound", "resyncRequired", "syncStateInvalid"})
"""Delta answers that mean "the token is no longer good: read everything again"."""


class GraphError(Exception):
    """Any failure talking to Microsoft Graph or its identity platform."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        """Microsoft's own message (shown to admins for a refused event)."""


class Unauthorized(GraphError):
    """401 even after one token refresh: access was revoked or the token is unusable."""


class TokenRefreshFailed(Unauthorized):
    """The refresh token was refused (``invalid_grant``, ``interaction_required``): the
    user must link again."""


class Forbidden(GraphError):
    """403: a missing permission, or a calendar the user may not write."""


class NotFound(GraphError):
    """404: no such calendar, event or subscription (for this user)."""


class ResyncRequired(GraphError):
    """410 or a ``syncStateNotFound``/``resyncRequired`` answer to a delta link."""


class Invalid(GraphError):
    """400 (other than a resync): Graph refused the request itself."""


class RateLimited(GraphError):
    """429 beyond the retry policy."""


class ServerError(GraphError):
    """5xx beyond the retry policy."""


class Unreachable(GraphError):
    """No response at all: connection failures or timeouts, after retries."""


def error_body(content: bytes) -> tuple[str | None, str | None]:
    """The ``code`` and message of a Graph or identity-platform error body."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # identity platform
        description = body.get("error_description")
        return error, description if isinstance(description, str) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (code if isinstance(code, str) else None,
            message if isinstance(message, str) else None)


def error_for(status: int, content: bytes, where: str) -> GraphError:
    """The typed error for a failed answer (a whole response or one batch answer)."""
    code, detail = error_body(content)
    message = f"Microsoft answered {status}"
    if code:
        message += f" {code}"
    if detail:
        message += f": {detail.splitlines()[0][:200]}"
    message += f" ({where})"
    kwargs: dict[str, Any] = {"status": status, "code": code, "detail": detail}
    if status == 410 or code in RESYNC_CODES:
        return ResyncRequired(message, **kwargs)
    kinds: dict[int, type[GraphError]] = {
        400: Invalid, 401: Unauthorized, 403: Forbidden, 404: NotFound, 429: RateLimited,
    }
    if status in kinds:
        return kinds[status](message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return GraphError(message, **kwargs)


def error_from_response(response: httpx.Response) -> GraphError:
    request = response.request
    return error_for(response.status_code, response.content,
                     f"{request.method} {request.url.path}")
