"""The words of zdcal's mails: plain text, with a simple HTML alternative.

Pure functions: facts in, an :class:`email.message.EmailMessage` out. Everything that
came from outside (names, reasons) is escaped in the HTML part. No mail carries a token,
a secret or ticket content beyond ids: links lead to zdcal, where the reader signs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from html import escape
from urllib.parse import urlencode

# The agent page's one-click reconnect (served by zdcal.web.pages.calendar_connect).
RECONNECT_PATH = "/agent/reconnect"
# A summary lists this many of each kind of problem; the rest are counted.
SUMMARY_LIST_LIMIT = 20


def reconnect_url(public_url: str, subdomain: str) -> str:
    """The link that signs the agent in (if needed) and sends them to reconnect."""
    return f"{public_url}{RECONNECT_PATH}?{urlencode({'account': subdomain})}"


@dataclass(frozen=True)
class BrokenCalendar:
    """An agent whose calendar zdcal can no longer reach."""

    name: str
    email: str
    reason: str  # plain words, as the agent page shows them
    since: datetime


@dataclass(frozen=True)
class FailingTicket:
    """A ticket whose calendar event could not be written."""

    ticket_id: int
    reason: str
    attempts: int


@dataclass(frozen=True)
class AccountSummary:
    """What an account's admins should know about today."""

    subdomain: str
    day: date
    broken_calendars: Sequence[BrokenCalendar]
    failing_tickets: Sequence[FailingTicket]
    admin_url: str

    @property
    def has_news(self) -> bool:
        return bool(self.broken_calendars or self.failing_tickets)


def reconnect_message(
    *, sender: str, to: str, agent_name: str, subdomain: str, reason: str, link: str
) -> EmailMessage:
    """Tell an agent that their calendar stopped following Zendesk, and how to fix it."""
    subject = "Reconnect your calendar to keep your Zendesk tasks in it"
    text = (
        f"Hello {agent_name},\n\n"
        f"zdcal can no longer reach your calendar ({reason}), so your Zendesk tasks of "
        f"{subdomain} stopped following changes there.\n\n"
        f"One click fixes it: open the link below, allow zdcal again, and your task events "
        f"are repaired.\n\n{link}\n\n"
        "Nothing was deleted: your events stay as they were until you reconnect.\n"
    )
    html = (
        f"<p>Hello {escape(agent_name)},</p>"
        f"<p>zdcal can no longer reach your calendar ({escape(reason)}), so your Zendesk tasks "
        f"of {escape(subdomain)} stopped following changes there.</p>"
        f'<p><a href="{escape(link)}">Reconnect your calendar</a>: allow zdcal again and your '
        "task events are repaired.</p>"
        "<p>Nothing was deleted: your events stay as they were until you reconnect.</p>"
    )
    return _message(sender, [to], subject, text, html)


def summary_message(
    *, sender: str, to: Sequence[str], summary: AccountSummary
) -> EmailMessage:
    """The admins' daily summary: calendars that need reconnecting, tickets that fail."""
    broken, failing = summary.broken_calendars, summary.failing_tickets
    subject = (
        f"zdcal for {summary.subdomain}: {_count(len(broken), 'calendar')} to reconnect, "
        f"{_count(len(failing), 'ticket')} failing"
    )
    lines = [f"zdcal's summary for {summary.subdomain} on {summary.day.isoformat()}.", ""]
    html = [f"<p>zdcal's summary for {escape(summary.subdomain)} on "
            f"{summary.day.isoformat()}.</p>"]
    if broken:
        lines.append("Agents whose calendar must be reconnected (they were emailed a link):")
        html.append("<p>Agents whose calendar must be reconnected (they were emailed a "
                    "link):</p><ul>")
        for agent in broken[:SUMMARY_LIST_LIMIT]:
            since = agent.since.date().isoformat()
            lines.append(f"- {agent.name} <{agent.email}>: {agent.reason} (since {since})")
            html.append(f"<li>{escape(agent.name)} &lt;{escape(agent.email)}&gt;: "
                        f"{escape(agent.reason)} (since {since})</li>")
        _more(lines, html, len(broken))
        lines.append("")
    if failing:
        lines.append("Tickets whose calendar event could not be written:")
        html.append("<p>Tickets whose calendar event could not be written:</p><ul>")
        for ticket in failing[:SUMMARY_LIST_LIMIT]:
            tries = _count(ticket.attempts, "attempt")
            lines.append(f"- #{ticket.ticket_id}: {ticket.reason} ({tries})")
            html.append(f"<li>#{ticket.ticket_id}: {escape(ticket.reason)} ({tries})</li>")
        _more(lines, html, len(failing))
        lines.append("")
    lines.append(f"Details on the admin page: {summary.admin_url}")
    html.append(f'<p>Details on the <a href="{escape(summary.admin_url)}">admin page</a>.</p>')
    return _message(sender, to, subject, "\n".join(lines) + "\n", "".join(html))


def _more(lines: list[str], html: list[str], total: int) -> None:
    if total > SUMMARY_LIST_LIMIT:
        lines.append(f"- and {total - SUMMARY_LIST_LIMIT} more")
        html.append(f"<li>and {total - SUMMARY_LIST_LIMIT} more</li>")
    html.append("</ul>")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _message(
    sender: str, to: Sequence[str], subject: str, text: str, html: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    domain = parseaddr(sender)[1].rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=domain or "zdcal.invalid")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(text)
    message.add_alternative(f"<!doctype html><html><body>{html}</body></html>", subtype="html")
    return message
