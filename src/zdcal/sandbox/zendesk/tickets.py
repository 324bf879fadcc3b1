"""The ticket store: creates, updates, soft deletes and restores tickets, stamping every
change into the change log that the incremental export reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from zdcal.sandbox.zendesk.assumptions import DEFAULT_CUSTOM_STATUS_IDS, SCRUBBED_FIELDS
from zdcal.sandbox.zendesk.change_log import ChangeLog
from zdcal.sandbox.zendesk.errors import RecordInvalid, RecordNotFound
from zdcal.sandbox.zendesk.model import Ticket
from zdcal.sandbox.zendesk.timestamps import iso_z

CLOSED_PREVENTS_UPDATE = "closed prevents ticket update"

# Fields whose change a trigger condition or placeholder can see.
TRACKED_FIELDS = (
    "type",
    "status",
    "subject",
    "description",
    "priority",
    "requester_id",
    "submitter_id",
    "assignee_id",
    "group_id",
    "due_at",
    "tags",
    "external_id",
)


@dataclass(frozen=True)
class TicketChange:
    """One applied change: the ticket before (None on create) and after."""

    before: Ticket | None
    after: Ticket
    actor_id: int | None

    @property
    def update_type(self) -> str:
        """``Create`` or ``Change``, as trigger conditions name them."""
        return "Create" if self.before is None else "Change"


ChangeListener = Callable[[Ticket | None, Ticket, int], None]
"""Called after every stored change with (previous snapshot or None, ticket, now)."""


class TicketStore:
    """All tickets of the account, live and soft-deleted."""

    def __init__(self) -> None:
        self.tickets: dict[int, Ticket] = {}
        self.log = ChangeLog()
        self.listeners: list[ChangeListener] = []
        self._next_id = 1
        self._last_stamp = 0

    def clear(self) -> None:
        """Forget every ticket and change (sandbox reset)."""
        self.tickets.clear()
        self.log.clear()
        self._next_id = 1
        self._last_stamp = 0

    def stamp(self, now: float) -> int:
        """The generated_timestamp for a change now; never smaller than the previous one."""
        self._last_stamp = max(self._last_stamp, int(now))
        return self._last_stamp

    def _record(self, ticket: Ticket, before: Ticket | None, stamp: int) -> None:
        ticket.log_position = self.log.append(stamp, ticket.id)
        for listener in self.listeners:
            listener(before, ticket, stamp)

    # --- reading -----------------------------------------------------------------------
    def live(self, ticket_id: int) -> Ticket:
        """A ticket that exists and is not deleted, or 404."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.deleted_at is not None:
            raise RecordNotFound()
        return ticket

    def deleted(self) -> Iterator[Ticket]:
        """Soft-deleted tickets (not the permanently deleted ones), oldest created first."""
        return (
            t for t in self.tickets.values() if t.deleted_at is not None and not t.scrubbed
        )

    def soft_deleted(self, ticket_id: int) -> Ticket:
        """A ticket that is soft-deleted and not yet permanently deleted, or 404."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.deleted_at is None or ticket.scrubbed:
            raise RecordNotFound()
        return ticket

    # --- writing -----------------------------------------------------------------------
    def create(self, fields: dict[str, Any], actor_id: int | None, now: float) -> TicketChange:
        """Store a new ticket from validated fields (see ticket_input)."""
        stamp = self.stamp(now)
        ticket_id = int(fields.get("id") or self._next_id)
        if ticket_id in self.tickets:
            raise RecordInvalid.field("id", f"Id: {ticket_id} is already being used")
        self._next_id = max(self._next_id, ticket_id + 1)
        assignee = fields.get("assignee_id")
        status = fields.get("status") or ("open" if assignee is not None else "new")
        created = int(fields.get("created_at") or stamp)
        ticket = Ticket(
            id=ticket_id,
            type=fields.get("type"),
            status=status,
            subject=fields.get("subject"),
            description=fields.get("description", ""),
            priority=fields.get("priority"),
            requester_id=fields.get("requester_id"),
            submitter_id=fields.get("submitter_id"),
            assignee_id=assignee,
            group_id=fields.get("group_id"),
            due_at=fields.get("due_at"),
            tags=fields.get("tags", ()),
            external_id=fields.get("external_id"),
            created_at=created,
            updated_at=stamp,
            generated_timestamp=stamp,
        )
        self.tickets[ticket_id] = ticket
        self._record(ticket, None, stamp)
        return TicketChange(None, ticket, actor_id)

    def update(
        self, ticket_id: int, changes: dict[str, Any], actor_id: int | None, now: float
    ) -> TicketChange:
        """Apply validated changes to a live ticket; a closed ticket refuses (422)."""
        ticket = self.live(ticket_id)
        if ticket.status == "closed":
            raise RecordInvalid.field("status", CLOSED_PREVENTS_UPDATE)
        before = ticket.snapshot()
        if changes.get("status") == "new" and ticket.status != "new":
            raise RecordInvalid.field("status", "Status: cannot be set to New")
        for name in TRACKED_FIELDS:
            if name in changes:
                setattr(ticket, name, changes[name])
        if ticket.status == "new" and ticket.assignee_id is not None:
            ticket.status = "open"  # Zendesk opens a new ticket once someone is assigned.
        stamp = self.stamp(now)
        ticket.updated_at = stamp
        ticket.generated_timestamp = stamp
        self._record(ticket, before, stamp)
        return TicketChange(before, ticket, actor_id)

    def close(self, ticket_id: int, now: float) -> TicketChange:
        """What Zendesk's automation does to a solved ticket: status closed, frozen after."""
        ticket = self.live(ticket_id)
        if ticket.status == "closed":
            raise RecordInvalid.field("status", CLOSED_PREVENTS_UPDATE)
        return self.update(ticket_id, {"status": "closed"}, None, now)

    def delete(self, ticket_id: int, actor_id: int | None, now: float) -> Ticket:
        """Soft delete: gone from show/search, shown as ``deleted`` in the export."""
        ticket = self.live(ticket_id)
        before = ticket.snapshot()
        stamp = self.stamp(now)
        ticket.deleted_at = stamp
        ticket.deleted_by = actor_id
        ticket.generated_timestamp = stamp
        self._record(ticket, before, stamp)
        return ticket

    def restore(self, ticket_id: int, now: float) -> Ticket:
        """Undo a soft delete."""
        ticket = self.soft_deleted(ticket_id)
        before = ticket.snapshot()
        stamp = self.stamp(now)
        ticket.deleted_at = None
        ticket.deleted_by = None
        ticket.updated_at = stamp
        ticket.generated_timestamp = stamp
        self._record(ticket, before, stamp)
        return ticket

    def scrub(self, ticket_id: int, now: float) -> Ticket:
        """Permanently delete a soft-deleted ticket: its content is scrubbed and only the
        incremental export still shows it (status ``deleted``); ``updated_at`` is kept."""
        ticket = self.soft_deleted(ticket_id)
        before = ticket.snapshot()
        for name, value in SCRUBBED_FIELDS.items():
            setattr(ticket, name, value)
        ticket.scrubbed = True
        stamp = self.stamp(now)
        ticket.generated_timestamp = stamp
        self._record(ticket, before, stamp)
        return ticket

    def bulk_create(
        self,
        count: int,
        *,
        ticket_type: str | None,
        status: str,
        assignee_ids: list[int | None],
        due_at_start: int | None,
        due_step_seconds: int,
        requester_id: int | None,
        now: float,
    ) -> list[Ticket]:
        """Many tickets at once for benchmarks: shared strings, one stamp, no validation."""
        stamp = self.stamp(now)
        subject = "Benchmark task"
        description = "Created in bulk by the sandbox."
        assignees = assignee_ids or [None]
        created: list[Ticket] = []
        tickets = self.tickets
        log = self.log
        start = self._next_id
        for offset in range(count):
            ticket_id = start + offset
            due = None if due_at_start is None else due_at_start + offset * due_step_seconds
            ticket = Ticket(
                ticket_id,
                ticket_type,
                status,
                subject,
                description,
                None,
                requester_id,
                requester_id,
                assignees[offset % len(assignees)],
                None,
                due,
                (),
                None,
                stamp,
                stamp,
                stamp,
            )
            tickets[ticket_id] = ticket
            ticket.log_position = log.append(stamp, ticket_id)
            created.append(ticket)
        self._next_id = start + count
        for listener in self.listeners:
            for ticket in created:
                listener(None, ticket, stamp)
        return created


def ticket_json(
    ticket: Ticket,
    base_url: str,
    *,
    as_exported: bool = False,
    generated_timestamp: int | None = None,
) -> dict[str, Any]:
    """A ticket as the Tickets API renders it.

    ``as_exported``: as the incremental export does, deleted tickets with status
    ``deleted`` and the ticket's ``generated_timestamp``. Otherwise that field is left out
    (as real show, show_many, create and update answers do) unless ``generated_timestamp``
    gives the value to send.
    """
    status = ticket.status
    if as_exported and ticket.deleted_at is not None:
        status = "deleted"
    if as_exported:
        generated_timestamp = ticket.generated_timestamp
    rendered: dict[str, Any] = {
        "url": f"{base_url}/api/v2/tickets/{ticket.id}.json",
        "id": ticket.id,
        "external_id": ticket.external_id,
        "via": {"channel": "api"},
        "created_at": iso_z(ticket.created_at),
        "updated_at": iso_z(ticket.updated_at),
        "type": ticket.type,
        "subject": ticket.subject,
        "raw_subject": ticket.subject or "",
        "description": ticket.description,
        "priority": ticket.priority,
        "status": status,
        "custom_status_id": DEFAULT_CUSTOM_STATUS_IDS[ticket.status],
        "requester_id": ticket.requester_id,
        "submitter_id": ticket.submitter_id,
        "assignee_id": ticket.assignee_id,
        "organization_id": None,
        "group_id": ticket.group_id,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None if ticket.due_at is None else iso_z(ticket.due_at),
        "tags": list(ticket.tags),
        "custom_fields": [],
        "fields": [],
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "ticket_form_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    if generated_timestamp is not None:
        rendered["generated_timestamp"] = generated_timestamp
    return rendered
