"""The simulator's refusals, each one HTTP answer in Google's error format."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.oauth_errors import OAuthError as OAuthError  # re-exported

CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}


class GoogleApiError(Exception):
    """An API request refused: ``{"error": {code, message, errors: [...], status}}``."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "domain": self.domain, "reason": self.reason, "message": self.message
        }
        if self.location is not None:
            detail["locationType"] = self.location_type or "parameter"
            detail["location"] = self.location
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [detail],
                "status": CANONICAL_STATUS.get(self.status, "UNKNOWN"),
            }
        }


def invalid(message: str, location: str | None = None) -> GoogleApiError:
    return GoogleApiError(400, "invalid", message, location=location)


def not_found() -> GoogleApiError:
    return GoogleApiError(404, "notFound", "Not Found")
