"""Tickets as the engine sees them: what Zendesk returned, as mirror rows and rule input."""

from __future__ import annotations

from datetime import datetime

from zdcal.domain import TicketState, is_open_task_status
from zdcal.store import MirroredTicket
from zdcal.zendesk.models import Ticket

DELETED = "deleted"


def observed(ticket: Ticket) -> MirroredTicket:
    """A ticket as any Zendesk endpoint returned it, reduced to the fields zdcal keeps."""
    return MirroredTicket(
        ticket_id=ticket.id,
        type=ticket.type,
        status=ticket.status or "",
        due_at=ticket.due_at,
        assignee_id=ticket.assignee_id,
        subject=ticket.subject,
        description=ticket.description,
        priority=ticket.priority,
        updated_at=ticket.updated_at,
        generated_timestamp=ticket.generated_timestamp,
    )


def gone(ticket_id: int) -> MirroredTicket:
    """A ticket Zendesk no longer returns (deleted, or never existed): it wants nothing."""
    return MirroredTicket(
        ticket_id=ticket_id, type=None, status=DELETED, due_at=None, assignee_id=None,
        subject=None, description=None, priority=None,
    )


def rule_input(ticket: MirroredTicket, pinned_due_at: datetime | None = None) -> TicketState:
    """The fields the domain rules read. ``pinned_due_at``: the due_at an agent's calendar
    move set, if any; while the ticket still has it, a timed event keeps that time."""
    return TicketState(
        ticket_id=ticket.ticket_id,
        type=ticket.type,
        status=ticket.status,
        due_at=ticket.due_at,
        assignee_id=ticket.assignee_id,
        subject=ticket.subject,
        description=ticket.description,
        priority=ticket.priority,
        due_time_pinned=pinned_due_at is not None and pinned_due_at == ticket.due_at,
    )


def worth_mirroring(ticket: MirroredTicket) -> bool:
    """Open tasks are mirrored, so that an agent who connects gets them without a read."""
    return is_open_task_status(ticket.type, ticket.status)
