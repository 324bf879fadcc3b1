"""Typed Zendesk failures, built from Zendesk's documented error bodies.

Every error carries the HTTP status (None when no response came), Zendesk's error code
and its description. Messages name the method and path, never a header or a token.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

import httpx


class ErrorFields(TypedDict, total=False):
    """What every :class:`ZendeskError` carries besides its message."""

    status: int | None
    code: str | None
    description: str | None


class ZendeskError(Exception):
    """Any failure talking to Zendesk."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.description = description


class NotFound(ZendeskError):
    """404: the record does not exist (or was deleted)."""


class Invalid(ZendeskError):
    """400/422: Zendesk refused the request; ``details`` maps fields to their errors."""

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        **fields: Unpack[ErrorFields],
    ) -> None:
        super().__init__(message, **fields)
        self.details: dict[str, Any] = details or {}

    def field_descriptions(self, field: str) -> list[str]:
        """The descriptions Zendesk gave for one field, e.g. ``"status"``."""
        entries = self.details.get(field) or []
        return [str(e.get("description", "")) for e in entries if isinstance(e, dict)]


class Unauthorized(ZendeskError):
    """401: the credentials were refused (after one OAuth refresh, when possible)."""


class TokenRefreshFailed(Unauthorized):
    """The OAuth refresh token was refused (invalid_grant): the admin must reconnect."""


class Forbidden(ZendeskError):
    """403: authenticated, but this user or token may not do this."""


class RateLimited(ZendeskError):
    """429 that outlasted the retry policy; ``retry_after`` is the server's wish, if any."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        **fields: Unpack[ErrorFields],
    ) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after


class ServerError(ZendeskError):
    """5xx that outlasted the retry policy (or a non-idempotent request's first 5xx)."""


class Unreachable(ZendeskError):
    """No response at all: connection failures or timeouts, after retries."""


def _error_fields(body: Any) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(code, description, details) from any of the error shapes Zendesk uses."""
    if not isinstance(body, dict):
        return None, None, None
    error = body.get("error")
    details = body.get("details") if isinstance(body.get("details"), dict) else None
    if isinstance(error, str):
        # {"error": "RecordNotFound", "description": ".."}; OAuth: "error_description".
        description = body.get("description") or body.get("error_description")
        return error, None if description is None else str(description), details
    if isinstance(error, dict):
        # 403: {"error": {"title": "Forbidden", "message": ".."}}
        title, message = error.get("title"), error.get("message")
        return (
            None if title is None else str(title),
            None if message is None else str(message),
            details,
        )
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        # Newer endpoints (trigger categories, webhooks): {"errors": [{"code", "title"}]}
        first = errors[0]
        code = first.get("code")
        text = first.get("title") or first.get("detail")
        return (None if code is None else str(code), None if text is None else str(text), details)
    return None, None, details


def error_from_response(
    response: httpx.Response,
    *,
    needs: str | None = None,
    retry_after: float | None = None,
) -> ZendeskError:
    """The typed error for a failed response. ``needs`` names the permission, if known."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code, description, details = _error_fields(body)
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    summary = f"Zendesk answered {status}"
    if code:
        summary += f" {code}"
    if description:
        summary += f": {description}"
    message = f"{summary} ({where})"
    kwargs: ErrorFields = {"status": status, "code": code, "description": description}
    if status == 401:
        return Unauthorized(message, **kwargs)
    if status == 403:
        if needs:
            message += f"; this needs {needs}"
        return Forbidden(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status in (400, 422):
        return Invalid(message, details=details, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return ZendeskError(message, **kwargs)
