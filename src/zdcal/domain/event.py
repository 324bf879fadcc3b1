"""What a task's calendar event says: the exact Cronofy upsert body.

* ``summary``: ``#<id> <subject>``, plus `` [<Priority>]`` when the ticket has a priority
  (``Urgent``, ``High``, ``Normal``, ``Low``; any other value is left out). The
  subject's whitespace (newlines included) is collapsed to single spaces: a summary is
  one line. A ticket without a subject reads ``#<id>``. When the summary would pass
  1024 characters, the subject is shortened and the id and priority are kept.
* ``description``: the agent link, a blank line, then the start of the ticket's
  description, the whole within 4096 characters (line endings normalised to ``\\n``).
* ``url``: the agent link.
* ``tzid``: the agent's time zone; ``start``/``end``: see :mod:`zdcal.domain.event_time`.
* ``transparency``: ``transparent`` unless the agent asked to show tasks as busy.
* ``event_private``: always sent, so switching privacy off is sent too.
* ``reminders``: sent only when the agent chose some, so the calendar's own default
  reminders apply otherwise. (Consequence: removing every reminder later leaves the
  last ones in place on providers that keep unspecified fields.)
* Private mode: the summary is ``Zendesk task #<id>``, the description only the agent
  link: no subject, no description text, no priority, and ``event_private: true``.
"""

from __future__ import annotations

from typing import Any

from zdcal.domain.account import AccountInfo, agent_link, event_id_for
from zdcal.domain.agent import AgentTarget
from zdcal.domain.errors import InvalidTicket
from zdcal.domain.event_time import event_times
from zdcal.domain.ticket import TicketState
from zdcal.domain.truncation import truncate

SUMMARY_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
PRIORITY_LABELS = {"urgent": "Urgent", "high": "High", "normal": "Normal", "low": "Low"}
_PARAGRAPH = "\n\n"


def priority_label(priority: str | None) -> str | None:
    """How a Zendesk priority reads in a summary; ``None`` for no (or an unknown) priority."""
    # Zendesk's priority is a closed enum; an unknown value is left out rather than echoed.
    return PRIORITY_LABELS.get(priority) if priority else None


def event_summary(ticket: TicketState, *, private: bool) -> str:
    """The event's title."""
    if private:
        return f"Zendesk task #{ticket.ticket_id}"
    head = f"#{ticket.ticket_id}"
    label = priority_label(ticket.priority)
    tail = f" [{label}]" if label else ""
    subject = " ".join((ticket.subject or "").split())
    if not subject:
        return truncate(head + tail, SUMMARY_LIMIT)
    budget = SUMMARY_LIMIT - len(head) - 1 - len(tail)
    return f"{head} {truncate(subject, budget)}{tail}"


def event_description(account: AccountInfo, ticket: TicketState, *, private: bool) -> str:
    """The event's notes: the agent link, then (unless private) the ticket's description."""
    link = agent_link(account, ticket.ticket_id)
    text = (ticket.description or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if private or not text:
        return link
    budget = DESCRIPTION_LIMIT - len(link) - len(_PARAGRAPH)
    return link + _PARAGRAPH + truncate(text, budget)


def event_body(account: AccountInfo, ticket: TicketState, agent: AgentTarget) -> dict[str, Any]:
    """The exact JSON body of ``POST /v1/calendars/{calendar_id}/events`` for this ticket."""
    if ticket.due_at is None:
        raise InvalidTicket(f"ticket {ticket.ticket_id} has no due_at: it wants no event")
    style = agent.style
    times = event_times(
        ticket.due_at, agent.zone, style, pinned=ticket.due_time_pinned, rule=account.due_dates
    )
    body: dict[str, Any] = {
        "event_id": event_id_for(account, ticket.ticket_id),
        "summary": event_summary(ticket, private=style.private),
        "description": event_description(account, ticket, private=style.private),
        "start": times["start"],
        "end": times["end"],
        "tzid": agent.time_zone,
        "url": agent_link(account, ticket.ticket_id),
        "transparency": "opaque" if style.busy else "transparent",
        "event_private": style.private,
    }
    if style.reminders_minutes:
        body["reminders"] = [{"minutes": minutes} for minutes in sorted(style.reminders_minutes)]
    return body
