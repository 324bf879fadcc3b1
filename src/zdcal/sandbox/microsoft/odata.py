"""What Graph reads from a request besides the path: JSON body, OData options, Prefer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.errors import GraphError, invalid

_PREFER_ZONE = re.compile(r'outlook\.timezone\s*=\s*"([^"]+)"', re.IGNORECASE)
_PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or Graph's 400 for anything else (413 when too large, so
    memory stays bounded: the body is read in chunks and given up on past the limit)."""
    too_large = GraphError(413, "RequestEntityTooLarge", "The request body is too large.")
    if int(request.headers.get("content-length") or 0) > assumptions.MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > assumptions.MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure "
                         "Content-Type header is set and payload is of valid JSON "
                         "format.") from None
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
    return body


def prefer_zone(request: Request) -> str | None:
    """``Prefer: outlook.timezone="<zone>"``; None: UTC."""
    match = _PREFER_ZONE.search(request.headers.get("prefer", ""))
    return match.group(1) if match else None


def prefer_page_size(request: Request) -> int | None:
    match = _PREFER_PAGE.search(request.headers.get("prefer", ""))
    return max(1, int(match.group(1))) if match else None


def int_option(request: Request, name: str, default: int, cap: int | None = None,
               minimum: int = 0) -> int:
    """A whole-number query option (``$top``, ``$skip``), capped; 400 below ``minimum``."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
        raise invalid(f"Invalid value '{raw}' for query option {name}.", "BadRequest")
    value = int(raw)
    return min(value, cap) if cap is not None else value


def select_option(request: Request) -> tuple[str, ...] | None:
    raw = request.query_params.get("$select")
    return tuple(s.strip() for s in raw.split(",") if s.strip()) if raw else None


def window(request: Request) -> tuple[datetime, datetime] | None:
    """``startDateTime``/``endDateTime``: both or neither; without an offset they mean UTC."""
    query = request.query_params
    raw_start, raw_end = query.get("startDateTime"), query.get("endDateTime")
    if raw_start is None and raw_end is None:
        return None
    try:
        start = _instant(raw_start or "")
        end = _instant(raw_end or "")
    except ValueError:
        raise invalid("The value of the startDateTime or endDateTime parameter is not a valid "
                      "date and time.", "ErrorInvalidParameter") from None
    return start, end


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
