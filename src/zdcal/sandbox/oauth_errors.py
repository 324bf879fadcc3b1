"""Token-endpoint failures, shared by the simulators: RFC 6749 §5.2's ``{"error": code}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class OAuthError(Exception):
    """A token-endpoint failure: 400 ``{"error": code}`` as RFC 6749 §5.2 mandates."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


async def oauth_error_response(_: Request, exc: Exception) -> Response:
    """The Starlette exception handler answering an :class:`OAuthError`."""
    assert isinstance(exc, OAuthError)
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        exc.status,
        headers={"Cache-Control": "no-store"},
    )
