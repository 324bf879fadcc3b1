"""Calendar entries: what should be in the calendars (desired) and what was written (recorded).

A *desired entry* is one ticket's event in one agent's calendar, with the exact body to
send and its content hash. A *recorded entry* is the store's note of an upsert that
succeeded: same identity, same hash, no body.

The content hash is SHA-256 over canonical JSON (sorted keys, no whitespace, ASCII
escapes) of the target ``calendar_id`` and the body. It is computed from exactly what
is sent, so a change to any field the calendar would see (and only such a change)
changes the hash; ticket fields the event does not show (tags, ``updated_at``, ...)
never cause a write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from zdcal.domain.account import AccountInfo
from zdcal.domain.agent import AgentTarget
from zdcal.domain.event import event_body
from zdcal.domain.ticket import TicketState, is_open_task


def _time_text(value: Any) -> str:
    return str(value["time"]) if isinstance(value, Mapping) else str(value)


@dataclass(frozen=True, slots=True)
class DesiredEntry:
    """One ticket's event as it should be, in the calendar it should be in.

    ``body`` is compared through ``content_hash`` (a hash of it), which keeps entries
    hashable and comparison cheap.
    """

    ticket_id: int
    agent_id: int
    calendar_id: str
    event_id: str
    body: Mapping[str, Any] = field(compare=False, repr=False)
    content_hash: str

    @property
    def event_start(self) -> str:
        """The ``start`` sent (to tell the agent's later move from our own write)."""
        return _time_text(self.body["start"])

    @property
    def event_end(self) -> str:
        return _time_text(self.body["end"])

    def recorded(self) -> RecordedEntry:
        """What the store records once this entry's upsert succeeded."""
        return RecordedEntry.of(self)


@dataclass(frozen=True, slots=True)
class RecordedEntry:
    """An event zdcal wrote (and has not yet deleted): where, for which ticket, with what hash."""

    ticket_id: int
    agent_id: int
    calendar_id: str
    event_id: str
    content_hash: str

    @classmethod
    def of(cls, entry: WrittenEntry) -> RecordedEntry:
        """The identity and hash of any entry that has them (desired, or stored)."""
        return cls(
            ticket_id=entry.ticket_id,
            agent_id=entry.agent_id,
            calendar_id=entry.calendar_id,
            event_id=entry.event_id,
            content_hash=entry.content_hash,
        )


class WrittenEntry(Protocol):
    """Anything naming one event of a ticket in an agent's calendar, with its hash."""

    @property
    def ticket_id(self) -> int: ...
    @property
    def agent_id(self) -> int: ...
    @property
    def calendar_id(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def content_hash(self) -> str: ...


def content_hash(calendar_id: str, body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the target calendar and the upsert body."""
    canonical = json.dumps(
        {"calendar_id": calendar_id, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def desired_entry(
    account: AccountInfo, ticket: TicketState, agents: Mapping[int, AgentTarget]
) -> DesiredEntry | None:
    """The event a ticket wants, or ``None`` when it wants none anywhere.

    ``agents`` maps Zendesk user ids to targets and holds only connected agents with a
    chosen writable calendar; an assignee missing from it wants no event.
    """
    if not is_open_task(ticket) or ticket.assignee_id is None:
        return None
    agent = agents.get(ticket.assignee_id)
    if agent is None:
        return None
    body = event_body(account, ticket, agent)
    return DesiredEntry(
        ticket_id=ticket.ticket_id,
        agent_id=agent.agent_id,
        calendar_id=agent.calendar_id,
        event_id=body["event_id"],
        body=body,
        content_hash=content_hash(agent.calendar_id, body),
    )


def desired_entries(
    account: AccountInfo, tickets: Iterable[TicketState], agents: Mapping[int, AgentTarget]
) -> list[DesiredEntry]:
    """The desired entries of many tickets, ordered by ticket id.

    A ticket listed more than once (the incremental export repeats tickets) counts
    with its last occurrence only: feeds list changes oldest first.
    """
    latest = {ticket.ticket_id: ticket for ticket in tickets}
    entries = []
    for ticket_id in sorted(latest):
        entry = desired_entry(account, latest[ticket_id], agents)
        if entry is not None:
            entries.append(entry)
    return entries
