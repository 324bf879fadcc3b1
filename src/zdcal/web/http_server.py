"""How ``zdcal serve`` runs its HTTP server, and the limits that keep slow or oversized
clients from holding it: read deadlines, a header size cap, a connection limit.

uvicorn (0.54, both its httptools and h11 protocols) has no deadline for reading a
request: ``timeout_keep_alive`` is only armed once a response is complete and every byte
received cancels it, and nothing at all is armed for a fresh connection. Nor does the
httptools parser cap a header's size; it buffers an endless header line whole. The ASGI app
cannot help with either: it is first called once the headers are complete, and it never
sees the bytes of a body it answered without reading. So the deadlines live one level
down, in :class:`GuardedHttpProtocol`, a subclass of uvicorn's httptools protocol, where
every byte of every request passes (uvicorn's source:
``uvicorn/protocols/http/httptools_impl.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from zdcal.settings import Settings

log = logging.getLogger(__name__)

# Browsers send a few KiB of headers; nginx's default buffers hold 8 KiB a line.
MAX_HEADER_BYTES = 32 * 1024


class _Reading(enum.Enum):
    NOTHING = "waiting for a request"
    HEADERS = "reading headers"
    BODY = "reading a body"


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with read deadlines and a header size cap.

    A request's headers must arrive within ``header_timeout`` seconds of its first byte
    (or of the connection, for the first request), its body within ``body_timeout`` of
    its headers; otherwise the connection is answered 408 (when no answer is under way)
    and closed. Headers over :data:`MAX_HEADER_BYTES` get 431 and a close. The time the
    app takes to answer is not bounded here. Subclass it with :func:`guarded_protocol`.
    """

    header_timeout: float = 10.0
    body_timeout: float = 20.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading = _Reading.NOTHING
        self._deadline: asyncio.TimerHandle | None = None
        self._deadline_for: _Reading | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(_Reading.HEADERS)  # the first request's headers count from the connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading is not _Reading.BODY:
            self._header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._reading is _Reading.HEADERS and self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, "Request Header Fields Too Large")
        elif self._reading is not _Reading.NOTHING and self._deadline_for is not self._reading:
            # Armed only for a part still missing after this read: a request that arrives
            # in one read (most do) costs no timer.
            self._arm(self._reading)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading = _Reading.HEADERS

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._reading = _Reading.BODY
        self._header_bytes = 0

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading = _Reading.NOTHING
        if self.cycle.response_complete and not self.pipeline:
            # Answered before its body ended: uvicorn's keep-alive timer was armed then and
            # cancelled by the body's bytes, so this connection needs one again.
            self._arm(_Reading.NOTHING)
        else:
            self._disarm()

    def _arm(self, reading: _Reading) -> None:
        self._disarm()
        seconds = {_Reading.HEADERS: self.header_timeout, _Reading.BODY: self.body_timeout,
                   _Reading.NOTHING: self.timeout_keep_alive}[reading]
        self._deadline = self.loop.call_later(seconds, self._deadline_passed)
        self._deadline_for = reading

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._deadline_for = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        self._deadline_for = None
        if self.transport.is_closing():
            return
        log.debug("closing a connection still %s after its deadline", self._reading.value)
        if self._reading is _Reading.NOTHING:
            self.transport.close()
        else:
            self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` if nothing has been answered to the request being read, then
        close the connection; an app waiting for that request's body sees a disconnect."""
        if self._may_answer():
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the app's own answer, if any, is dropped
                self.cycle.message_event.set()
            body = reason.encode("ascii")
            head = [STATUS_LINE[status]]
            head += [name + b": " + value + b"\r\n"
                     for name, value in self.server_state.default_headers]
            head += [b"content-type: text/plain; charset=utf-8\r\n",
                     b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]
            self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _may_answer(self) -> bool:
        if self._reading is _Reading.HEADERS:  # the cycle, if any, is the previous request's
            return self.cycle is None or self.cycle.response_complete
        return not self.pipeline and not self.cycle.response_started


def guarded_protocol(header_timeout: float, body_timeout: float) -> type[GuardedHttpProtocol]:
    """:class:`GuardedHttpProtocol` with these deadlines (uvicorn builds it per connection
    from the class alone)."""

    class Guarded(GuardedHttpProtocol):
        pass

    Guarded.header_timeout = header_timeout
    Guarded.body_timeout = body_timeout
    return Guarded


def run_server(app: Any, settings: Settings, *, host: str, port: int) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, with the limits in ``settings``: the one place
    ``zdcal serve``'s server is configured."""
    uvicorn.run(
        app, host=host, port=port, log_config=None, access_log=False,
        proxy_headers=True, forwarded_allow_ips="127.0.0.1", timeout_graceful_shutdown=30,
        http=guarded_protocol(settings.web_header_timeout_seconds,
                              settings.web_body_timeout_seconds),
        ws="none",  # zdcal has no WebSocket route; an upgrade would escape the deadlines
        limit_concurrency=settings.web_max_connections,
        timeout_keep_alive=settings.web_keep_alive_timeout_seconds,
    )


class _SignalFreeServer(uvicorn.Server):
    """A server that leaves SIGTERM/SIGINT to its host process (the job worker's graceful
    stop); it stops when ``should_exit`` is set."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_beside(app: Any, *, host: str, port: int, until: Awaitable[None]) -> None:
    """Serve ``app`` (health and metrics) while ``until`` runs; stop when it ends."""
    server = _SignalFreeServer(uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, ws="none",
        lifespan="on",
    ))
    serving = asyncio.create_task(server.serve())
    try:
        await until
    finally:
        server.should_exit = True
        await serving
