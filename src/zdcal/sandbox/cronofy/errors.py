"""The simulator's refusals, each one HTTP answer Cronofy would give."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.oauth_errors import OAuthError as OAuthError  # re-exported


class CronofyApiError(Exception):
    """An API request refused with ``status`` and, when Cronofy sends one, a JSON ``body``."""

    status: int = 500

    def __init__(self, message: str = "", body: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.body = body


class InvalidToken(CronofyApiError):
    """401: the bearer token is missing, unknown, expired or revoked."""

    status = 401


class InsufficientScope(CronofyApiError):
    """403: the token is valid but lacks the scope this request needs."""

    status = 403


class ResourceNotFound(CronofyApiError):
    """404: an unknown calendar, channel or page (or one this token may not see)."""

    status = 404


class AccountLocked(CronofyApiError):
    """423: the provider's credentials are gone; the user must relink."""

    status = 423


class RateLimited(CronofyApiError):
    """429: over the application's per-second or per-minute budget."""

    status = 429


class UnprocessableRequest(CronofyApiError):
    """422: invalid parameters, reported per field as ``{"errors": {field: [...]}}``."""

    status = 422

    def __init__(self, errors: dict[str, list[dict[str, str]]]) -> None:
        super().__init__(f"invalid fields: {sorted(errors)}", {"errors": errors})
        self.errors = errors


class FieldErrors:
    """Collects per-field errors so one 422 reports everything wrong at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[dict[str, str]]] = {}

    def add(self, field: str, key: str, description: str) -> None:
        """Record that ``field`` is wrong, with Cronofy's error ``key`` and a readable text."""
        self.errors.setdefault(field, []).append({"key": key, "description": description})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        """Raise :class:`UnprocessableRequest` when anything was recorded."""
        if self.errors:
            raise UnprocessableRequest(self.errors)


class SeedError(ValueError):
    """A seed body that cannot be applied, with a message saying why."""
