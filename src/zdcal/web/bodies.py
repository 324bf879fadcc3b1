"""What every receiver of outside notifications needs: the body read with a cap, its
JSON decoded without a 5xx whatever it holds, and ids checked before they reach the
database."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from zdcal.domain.ids import MAX_ID, ascii_digits, parse_id


class BodyRefused(Exception):
    """The body is too large (413) or never arrived whole (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed ``limit`` bytes: from its
    declared length if it has one, else while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not ascii_digits(declared) or int(declared) > limit
    ):
        raise BodyRefused(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyRefused(413, "body too large")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BodyRefused(400, "body not received") from exc
    return b"".join(chunks)


def decode_json(body: bytes) -> Any:
    """The body's JSON value; 400 when it is not JSON, or nests too deep to decode."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyRefused(400, "malformed JSON") from exc
    except RecursionError as exc:  # the decoder recurses once per level of nesting
        raise BodyRefused(400, "JSON nested too deeply") from exc


def zendesk_id(value: object) -> int | None:
    """A Zendesk id from a JSON value or a path segment: a JSON number, or a string as
    :func:`zdcal.domain.ids.parse_id` reads it. None for anything else."""
    if isinstance(value, str):
        return parse_id(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def plausible_account_key(key: str) -> bool:
    """Account keys are short ASCII letters and digits: nothing else is looked up."""
    return key.isascii() and key.isalnum() and len(key) <= 32
