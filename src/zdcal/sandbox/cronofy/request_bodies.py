"""Reading request bodies the way Cronofy accepts them (JSON, or forms for OAuth)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.errors import UnprocessableRequest


async def json_body(request: Request) -> Any:
    """The JSON body; an empty body is ``{}``; anything unparsable is a 422."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnprocessableRequest(
            {"body": [{"key": assumptions.ERROR_INVALID, "description": "body is not JSON"}]}
        ) from exc


async def json_or_form(request: Request) -> dict[str, Any]:
    """OAuth endpoints take JSON or ``application/x-www-form-urlencoded`` alike."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        body = await json_body(request)
    except UnprocessableRequest:
        return {}
    return body if isinstance(body, dict) else {}


def public_url(request: Request, path: str) -> str:
    """An absolute URL for ``path`` on this app, honouring the mount prefix (root_path)."""
    root_path = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root_path}{path}"
