"""A local SMTP server that keeps what it receives (the demo's and the tests' mailbox).

Real SMTP (aiosmtpd) on loopback, in a background thread; nothing is relayed anywhere.
``login`` makes it demand AUTH (allowed without TLS here, on loopback only). The caught
messages are shown by :meth:`MailSink.page_app` at ``/_sandbox/mail`` (HTML) and
``/_sandbox/mail.json``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import escape
from typing import Any, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from zdcal.sandbox.background import Background


@dataclass(frozen=True)
class CaughtMail:
    """One message as the sink received it."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    received_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.sender, "to": list(self.recipients), "subject": self.subject,
                "text": self.text, "html": self.html,
                "received_at": self.received_at.isoformat()}


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return "" if body is None else str(body.get_content())


class _Catcher:
    """aiosmtpd's handler: parse each message and keep it."""

    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    # aiosmtpd calls a handler method by this name.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self._sink.keep(CaughtMail(
            sender=str(envelope.mail_from or ""),
            recipients=tuple(envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            text=_part(message, "plain"),
            html=_part(message, "html"),
            received_at=datetime.now(UTC),
        ))
        return "250 Message accepted for delivery"


class MailSink(Background):
    """An SMTP server on ``host:port`` (0: a free port) that keeps every message."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        login: tuple[str, str] | None = None,
        on_mail: Callable[[CaughtMail], None] | None = None,
    ) -> None:
        self.host = host
        self._login = login
        self._on_mail = on_mail
        self._caught: list[CaughtMail] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="mail-sink")

    # The server --------------------------------------------------------------------------

    def _smtp(self) -> SMTP:
        if self._login is None:
            return SMTP(_Catcher(self), hostname="sandbox-mail", loop=self._loop)
        with warnings.catch_warnings():
            # AUTH without TLS is what it warns about: on loopback, for tests, on purpose.
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(_Catcher(self), hostname="sandbox-mail", loop=self._loop,
                        auth_required=True, auth_require_tls=False,
                        authenticator=self._authenticate)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self._login == (
            data.login.decode(), data.password.decode()
        )
        return AuthResult(success=ok)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            self._loop.create_server(self._smtp, sock=self._sock)
        )
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    def start(self) -> Self:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError(f"mail sink on {self.host}:{self.port} did not start")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        else:
            self._sock.close()

    # The mailbox -------------------------------------------------------------------------

    def keep(self, mail: CaughtMail) -> None:
        with self._lock:
            self._caught.append(mail)
        if self._on_mail is not None:
            self._on_mail(mail)

    @property
    def messages(self) -> list[CaughtMail]:
        """Everything received so far, oldest first."""
        with self._lock:
            return list(self._caught)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CaughtMail]:
        """The messages once at least ``count`` arrived (or whatever came by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def page_app(self) -> Starlette:
        """``/_sandbox/mail``: the caught messages, newest first; ``.json`` for scripts."""

        async def page(request: Request) -> Response:
            items = "".join(
                f"<article><h2>{escape(m.subject)}</h2><p>From {escape(m.sender)} to "
                f"{escape(', '.join(m.recipients))}, {m.received_at:%Y-%m-%d %H:%M:%S} UTC</p>"
                f"<pre>{escape(m.text)}</pre></article><hr>"
                for m in reversed(self.messages)
            ) or "<p>No mail yet.</p>"
            return HTMLResponse(
                "<!doctype html><html><head><title>Sandbox mail</title></head><body>"
                f"<h1>Mail zdcal sent (SMTP {self.host}:{self.port})</h1>{items}</body></html>"
            )

        async def as_json(request: Request) -> Response:
            return JSONResponse({"messages": [m.as_dict() for m in self.messages]})

        return Starlette(routes=[Route("/_sandbox/mail", page),
                                 Route("/_sandbox/mail.json", as_json)])
