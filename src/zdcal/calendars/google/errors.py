"""Typed Google Calendar failures, read from Google's error body.

Google answers ``{"error": {"code", "message", "errors": [{"domain", "reason",
"message"}], "status"}}`` (parsed leniently: any part may be missing). Each error keeps
the HTTP status, the first ``reason`` and Google's message; messages name the method
and path, never a header or a token.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
"""403 reasons that mean "slow down" (domain ``usageLimits``), like a 429."""


class GoogleError(Exception):
    """Any failure talking to Google."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.detail = detail
        """Google's own message (shown to admins for a refused event)."""


class Unauthorized(GoogleError):
    """401 even after one token refresh: access was revoked or the token is unusable."""


class TokenRefreshFailed(Unauthorized):
    """The refresh token was refused (400 ``invalid_grant``): the user must link again."""


class TokenRefreshBusy(GoogleError):
    """Another process kept refreshing this authorization for too long: try again later."""


class Forbidden(GoogleError):
    """403 other than a rate limit: a missing scope, or no write access to the calendar."""


class NotFound(GoogleError):
    """404: no such calendar (for this user), event or channel."""


class Gone(GoogleError):
    """410: a deleted event (``deleted``) or an expired sync token (``fullSyncRequired``)."""


class Conflict(GoogleError):
    """409 ``duplicate``: the event id exists (perhaps as a deleted event)."""


class Invalid(GoogleError):
    """400: Google refused the request itself."""


class RateLimited(GoogleError):
    """429, or 403 ``rateLimitExceeded``/``userRateLimitExceeded``, beyond the retry policy."""


class ServerError(GoogleError):
    """5xx beyond the retry policy."""


class Unreachable(GoogleError):
    """No response at all: connection failures or timeouts, after retries."""


def error_body(content: bytes) -> tuple[str | None, str | None]:
    """The first ``reason`` and the message of a Google error body (None when absent)."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", ...}
        description = body.get("error_description")
        return error, description if isinstance(description, str) else None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message")
    reason = None
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        found = details[0].get("reason")
        reason = found if isinstance(found, str) else None
    return reason, message if isinstance(message, str) else None


def is_rate_limited(status: int, reason: str | None) -> bool:
    """Whether an answer asks us to slow down (429, or 403 with a rate-limit reason)."""
    return status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS)


def slow_down(response: httpx.Response) -> bool:
    """The retry policy's hook: Google's 403 rate limits are retried like 429s."""
    return response.status_code == 403 and error_body(response.content)[0] in RATE_LIMIT_REASONS


def error_for(status: int, content: bytes, where: str) -> GoogleError:
    """The typed error for a failed answer (a whole response or one batch part)."""
    reason, detail = error_body(content)
    message = f"Google answered {status}"
    if reason:
        message += f" {reason}"
    if detail:
        message += f": {detail}"
    message += f" ({where})"
    kwargs: dict[str, Any] = {"status": status, "reason": reason, "detail": detail}
    if is_rate_limited(status, reason):
        return RateLimited(message, **kwargs)
    kinds: dict[int, type[GoogleError]] = {
        400: Invalid, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
        410: Gone,
    }
    if status in kinds:
        return kinds[status](message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return GoogleError(message, **kwargs)


def error_from_response(response: httpx.Response) -> GoogleError:
    request = response.request
    return error_for(response.status_code, response.content,
                     f"{request.method} {request.url.path}")
