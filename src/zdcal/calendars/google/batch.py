"""Google's batch format: many Calendar calls in one ``multipart/mixed`` POST.

Each part is ``Content-Type: application/http`` with a ``Content-ID`` and a whole inner
request (request line with the path only, headers, JSON body); the answer holds one
part per call, ``Content-ID: response-<id>``, each a whole inner HTTP response. Calls
may run in any order and fail one by one, so answers are matched by ``Content-ID``,
never by position. The outer ``Authorization`` applies to every part.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any


@dataclass(frozen=True)
class BatchCall:
    """One call inside a batch: method, path (from the host on, query included), body."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BatchAnswer:
    """One call's answer: its status and body (bytes, JSON for Calendar calls)."""

    status: int
    content: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.content) if self.content else {}


class BatchFormatError(ValueError):
    """A batch answer that cannot be read, or that misses a call's answer."""


def encode_batch(calls: Sequence[BatchCall]) -> tuple[bytes, str]:
    """The request body and its ``Content-Type`` (with a fresh boundary)."""
    boundary = "batch_" + secrets.token_hex(16)
    out: list[bytes] = []
    for index, call in enumerate(calls):
        inner = f"{call.method} {call.path} HTTP/1.1\r\n"
        payload = b""
        if call.body is not None:
            payload = json.dumps(call.body, separators=(",", ":")).encode("utf-8")
            inner += "Content-Type: application/json; charset=UTF-8\r\n"
        inner += "\r\n"
        out.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <item{index}>\r\n\r\n".encode()
            + inner.encode("utf-8") + payload + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/mixed; boundary={boundary}"


def decode_batch(content_type: str, content: bytes, count: int) -> list[BatchAnswer]:
    """The answers of ``count`` calls, in the order they were sent."""
    if not content_type.lower().startswith("multipart/mixed"):
        raise BatchFormatError(f"a batch answer must be multipart/mixed, not {content_type!r}")
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + content
    message = BytesParser(policy=HTTP).parsebytes(raw)
    answers: dict[int, BatchAnswer] = {}
    for part in message.iter_parts():
        index = _index(str(part.get("Content-ID", "")))
        payload = part.get_payload(decode=True)
        if index is None or not isinstance(payload, bytes):
            continue
        answers[index] = _inner_response(payload)
    missing = [i for i in range(count) if i not in answers]
    if missing:
        raise BatchFormatError(f"the batch answer misses {len(missing)} of {count} calls")
    return [answers[i] for i in range(count)]


def _index(content_id: str) -> int | None:
    """``<response-item7>`` → 7."""
    name = content_id.strip().strip("<>").removeprefix("response-")
    number = name.removeprefix("item")
    return int(number) if name.startswith("item") and number.isdigit() else None


def _inner_response(raw: bytes) -> BatchAnswer:
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    status_line = head.split(b"\n", 1)[0].split(b" ")
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise BatchFormatError("a batch part without an HTTP status line")
    return BatchAnswer(int(status_line[1]), body.strip())
