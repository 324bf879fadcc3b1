"""The errors the simulated API answers with, each rendering Zendesk's documented body.

Handlers raise these; the app turns them into responses in one place (``app.py``).
"""

from __future__ import annotations

from typing import Any


class ZendeskApiError(Exception):
    """An API answer other than success: an HTTP status, a JSON body, extra headers."""

    status_code: int = 400

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.body = body
        self.headers = headers or {}


class Unauthenticated(ZendeskApiError):
    """401: no or bad credentials (also an expired or revoked OAuth token)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__({"error": "Couldn't authenticate you"})


class Forbidden(ZendeskApiError):
    """403: authenticated, but the role or the OAuth scopes do not allow this."""

    status_code = 403

    def __init__(self, message: str = "You do not have access to this page.") -> None:
        super().__init__({"error": {"title": "Forbidden", "message": message}})


class RecordNotFound(ZendeskApiError):
    """404 with the documented body."""

    status_code = 404

    def __init__(self) -> None:
        super().__init__({"error": "RecordNotFound", "description": "Not found"})


class RecordInvalid(ZendeskApiError):
    """422 with per-field details: ``{field: [{"description", "error"}]}``."""

    status_code = 422

    def __init__(self, details: dict[str, list[dict[str, str]]]) -> None:
        super().__init__(
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": details,
            }
        )

    @classmethod
    def field(cls, name: str, description: str, error: str = "InvalidValue") -> RecordInvalid:
        """One invalid field."""
        return cls({name: [{"description": description, "error": error}]})


class InvalidValue(ZendeskApiError):
    """422 for a bad query parameter (e.g. a too recent export start_time)."""

    status_code = 422

    def __init__(self, description: str) -> None:
        super().__init__({"error": "InvalidValue", "description": description})


class BadRequest(ZendeskApiError):
    """400 with an error name and a description."""

    status_code = 400

    def __init__(self, error: str, description: str) -> None:
        super().__init__({"error": error, "description": description})


class UnprocessableSearch(ZendeskApiError):
    """422 from search (e.g. asking past the 1,000-result window)."""

    status_code = 422

    def __init__(self, description: str) -> None:
        super().__init__({"error": "invalid", "description": description})


class WebhookApiError(ZendeskApiError):
    """Webhooks API errors use the ``{"errors": [{"code", "title", "detail"}]}`` shape."""

    def __init__(self, status_code: int, code: str, title: str, detail: str = "") -> None:
        error: dict[str, str] = {"code": code, "title": title}
        if detail:
            error["detail"] = detail
        super().__init__({"errors": [error]})
        self.status_code = status_code


class TooManyRequests(ZendeskApiError):
    """429 with ``Retry-After`` (seconds)."""

    status_code = 429

    def __init__(self, retry_after: int, headers: dict[str, str] | None = None) -> None:
        merged = {"Retry-After": str(retry_after), **(headers or {})}
        super().__init__(
            {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            },
            merged,
        )


class OAuthError(ZendeskApiError):
    """Errors of ``POST /oauth/tokens``: ``{"error", "error_description"}`` (RFC 6749)."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__({"error": error, "error_description": description})
        self.status_code = status_code
