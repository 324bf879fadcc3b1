"""The simulator's refusals: Graph's error body, and the identity platform's AADSTS one."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.oauth_errors import OAuthError


class GraphError(Exception):
    """A Graph request refused: ``{"error": {code, message, innerError: {...}}}``."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, now: datetime, client_request_id: str | None = None) -> dict[str, Any]:
        inner: dict[str, Any] = {
            "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": str(uuid.uuid4()),
        }
        if client_request_id:
            inner["client-request-id"] = client_request_id
        if self.status == 429:
            inner.update(code="429", status="429", message=self.message)
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}

    def response(self, request: Request, now: datetime) -> Response:
        client_id = request.headers.get("client-request-id")
        return JSONResponse(self.body(now, client_id), self.status, headers=self.headers)


def not_found() -> GraphError:
    return GraphError(404, *assumptions.ITEM_NOT_FOUND)


def invalid(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def validation_failed() -> GraphError:
    return GraphError(400, *assumptions.VALIDATION_FAILED)


class AadstsError(OAuthError):
    """A token-endpoint refusal in the identity platform's shape (AADSTS code inside)."""

    def __init__(self, error: str, reason: str, status: int = 400) -> None:
        number, text = assumptions.AADSTS[reason]
        super().__init__(error, f"AADSTS{number}: {text}", status)
        self.number = number


def aadsts_response(now: datetime, exc: AadstsError) -> Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": exc.error,
        "error_description": f"{exc.description}\r\nTrace ID: {trace}\r\nCorrelation ID: "
                             f"{correlation}\r\nTimestamp: {stamp}",
        "error_codes": [exc.number],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={exc.number}",
    }
    return JSONResponse(body, exc.status, headers={"Cache-Control": "no-store"})


def new_guid() -> str:
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))
