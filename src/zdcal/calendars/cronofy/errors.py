"""Typed Cronofy failures. Each carries the HTTP status (None without a response), the
error code when Cronofy sent one, and for 422 the ``errors`` mapping. Messages name the
method and path, never a header or a token."""

from __future__ import annotations

from typing import Any

import httpx


class CronofyError(Exception):
    """Any failure talking to Cronofy."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Unauthorized(CronofyError):
    """401 even after one token refresh: access was revoked or the token is unusable."""


class TokenRefreshFailed(Unauthorized):
    """The refresh token was refused (400 invalid_grant): the user must link again."""


class TokenRefreshBusy(CronofyError):
    """Another process kept refreshing this authorization for too long: try again later."""


class Forbidden(CronofyError):
    """403: the granted scope does not allow this."""


class NotFound(CronofyError):
    """404: unknown calendar (or one this authorization does not grant)."""


class Invalid(CronofyError):
    """422: the request was refused; ``errors`` maps fields to [{"key", "description"}]."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.errors: dict[str, Any] = errors or {}


class Locked(CronofyError):
    """423: the calendar provider's credentials are gone; the user must relink."""


class RateLimited(CronofyError):
    """429 that outlasted the retry policy."""


class ServerError(CronofyError):
    """5xx that outlasted the retry policy."""


class Unreachable(CronofyError):
    """No response at all: connection failures or timeouts, after retries."""


class BatchTooLarge(CronofyError, ValueError):
    """More batch entries than Cronofy accepts in one request (checked before sending)."""


def describe_errors(errors: dict[str, Any]) -> str:
    """``summary: errors.required; start: errors.invalid`` from Cronofy's 422 mapping."""
    parts = []
    for field, entries in errors.items():
        keys = (
            [
                str(e.get("key") or e.get("description") or "?")
                for e in entries
                if isinstance(e, dict)
            ]
            if isinstance(entries, list)
            else [str(entries)]
        )
        parts.append(f"{field}: {', '.join(keys)}")
    return "; ".join(parts)


def error_from_response(response: httpx.Response) -> CronofyError:
    """The typed error for a failed response."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    code: str | None = None
    errors: dict[str, Any] | None = None
    if isinstance(body, dict):
        raw_code = body.get("error")
        code = raw_code if isinstance(raw_code, str) else None
        raw_errors = body.get("errors")
        errors = raw_errors if isinstance(raw_errors, dict) else None
    message = f"Cronofy answered {status}"
    if code:
        message += f" {code}"
    if errors:
        message += f": {describe_errors(errors)}"
    message += f" ({response.request.method} {response.request.url.path})"
    if status == 401:
        return Unauthorized(message, status=status, code=code)
    if status == 403:
        return Forbidden(
            message + "; the authorization lacks a needed scope", status=status, code=code
        )
    if status == 404:
        return NotFound(message, status=status, code=code)
    if status in (400, 422):
        return Invalid(message, status=status, code=code, errors=errors)
    if status == 423:
        return Locked(message + "; the user must relink their calendar", status=status, code=code)
    if status == 429:
        return RateLimited(message, status=status, code=code)
    if status >= 500:
        return ServerError(message, status=status, code=code)
    return CronofyError(message, status=status, code=code)
