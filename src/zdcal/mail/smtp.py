"""Handing a message to the operator's SMTP server (the standard library's smtplib, in a
thread so the event loop never waits on the network).

One connection per message: zdcal sends a few mails a day, and a fresh connection after
a failure is what a retry wants anyway. Failures become :class:`MailNotSent`, whose text
names the kind of failure and the server's reply code, never the login or password.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

from zdcal.settings import Settings

Security = Literal["starttls", "ssl", "none"]


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message (safe to log)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: host, port, TLS mode and optional login."""

    host: str
    port: int
    security: Security
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 20.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer | None:
        """The configured server, or ``None`` when mail is not configured."""
        if not settings.smtp_configured:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            timeout=settings.http_timeout_seconds,
        )

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to the server; :class:`MailNotSent` if that fails."""
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailNotSent(describe_failure(exc)) from None

    def _send_blocking(self, message: EmailMessage) -> None:
        context = self.tls_context or ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            refused = client.send_message(message)
        if refused:
            raise MailNotSent(f"the server refused {len(refused)} of the recipients")


def describe_failure(exc: BaseException) -> str:
    """What went wrong, in words fit for a log: the error's kind and the server's code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused every recipient"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} (SMTP {exc.smtp_code})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return type(exc).__name__
