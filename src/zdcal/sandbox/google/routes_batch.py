"""The batch endpoint: one multipart/mixed POST carrying many Calendar calls.

Each part is run through this same app (so auth, quotas and push behave as for single calls)
and answered in one multipart/mixed response, part for part, ``Content-ID: <response-...>``.
"""

from __future__ import annotations

import secrets
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from zdcal.sandbox.batch_inner import InnerClient
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import invalid

BATCH_PATH = "/batch/calendar/v3"


def _split_http_request(raw: bytes) -> tuple[str, str, dict[str, str], bytes]:
    """``METHOD path HTTP/1.1``, headers, blank line, body -> (method, path, headers, body)."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        raise invalid("Invalid batch part request line.")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1], headers, body.rstrip(b"\n")


class GoogleBatch:
    def __init__(self) -> None:
        self.inner = InnerClient()

    def routes(self) -> list[BaseRoute]:
        return [Route(BATCH_PATH, self.batch, methods=["POST"])]

    async def batch(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/mixed"):
            raise invalid("Batch requests must be multipart/mixed.")
        raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + await request.body()
        message = BytesParser(policy=HTTP).parsebytes(raw)
        parts = list(message.iter_parts())
        if len(parts) > assumptions.BATCH_MAX_CALLS:
            raise invalid(f"A batch holds at most {assumptions.BATCH_MAX_CALLS} calls.")
        outer_auth = request.headers.get("authorization")
        client = self.inner.of(request.scope["app"])
        boundary = "batch_" + secrets.token_hex(12)
        out: list[bytes] = []
        for part in parts:
            payload = part.get_payload(decode=True)
            method, path, headers, body = _split_http_request(
                payload if isinstance(payload, bytes) else b""
            )
            if outer_auth and "authorization" not in headers:
                headers["authorization"] = outer_auth
            headers.pop("content-length", None)
            answer = await client.request(method, path, headers=headers, content=body)
            content_id = str(part.get("Content-ID", ""))
            reply_id = f"<response-{content_id[1:]}" if content_id.startswith("<") else ""
            status = f"HTTP/1.1 {answer.status_code} {HTTPStatus(answer.status_code).phrase}"
            inner_type = answer.headers.get("content-type", "application/json; charset=UTF-8")
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: {reply_id}\r\n\r\n{status}\r\nContent-Type: {inner_type}\r\n"
                f"Content-Length: {len(answer.content)}\r\n\r\n".encode()
                + answer.content + b"\r\n"
            )
        out.append(f"--{boundary}--\r\n".encode())
        return Response(b"".join(out), media_type=f"multipart/mixed; boundary={boundary}")
