"""The simulator's refusals, each one HTTP answer in Google's error format."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from zdcal.sandbox.google import assumptions
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
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
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


def error_response(exc: GoogleApiError) -> Response:
    """The HTTP answer of a refusal; a 401 also carries the ``WWW-Authenticate`` challenge."""
    headers = {"WWW-Authenticate": assumptions.UNAUTHORIZED_CHALLENGE} if exc.status == 401 else {}
    return JSONResponse(exc.body(), exc.status, headers=headers)


def injected_error(status: int, reason: str | None = None) -> GoogleApiError:
    """The error an injected fault answers: Google's usual reason for the status unless
    ``reason`` names another one Google sends (see ``assumptions.FAULT_REASONS``)."""
    reason = reason or assumptions.FAULT_DEFAULT_REASON.get(status, "backendError")
    known = assumptions.FAULT_REASONS.get(reason)
    if known is None:
        raise ValueError(f"unknown reason {reason!r}; known: {sorted(assumptions.FAULT_REASONS)}")
    domain, message = known
    if reason == "authError":
        return GoogleApiError(status, reason, message, domain=domain, location="Authorization",
                              location_type="header")
    return GoogleApiError(status, reason, message, domain=domain)
