"""Mail zdcal sends: what each message says (:mod:`messages`) and how it leaves (:mod:`smtp`).

Which mails exist and when they go is decided elsewhere: the store queues them
(:class:`zdcal.store.MailOutbox`) and :mod:`zdcal.live.mail_delivery` sends them.
"""

from __future__ import annotations

from zdcal.mail.messages import (
    RECONNECT_PATH,
    AccountSummary,
    BrokenCalendar,
    FailingTicket,
    reconnect_message,
    reconnect_url,
    summary_message,
)
from zdcal.mail.smtp import MailNotSent, SmtpServer

__all__ = [
    "RECONNECT_PATH",
    "AccountSummary",
    "BrokenCalendar",
    "FailingTicket",
    "MailNotSent",
    "SmtpServer",
    "reconnect_message",
    "reconnect_url",
    "summary_message",
]
