"""Reading a request body with a cap: what every receiver of outside notifications needs."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request


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
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
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
