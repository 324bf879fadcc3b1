"""One agent's open tasks with what became of each in their calendar, a page at a time.

Read in one statement whatever the page size: the mirror's open tasks of the agent,
whether their current calendar holds an event of each, whether the agent deleted it
(kept off), and the task's failure if its last write failed; window aggregates count
every task of the agent, not only the page's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.store.tables import (
    CalendarEntryRow,
    FailedTicketRow,
    SuppressedEventRow,
    TicketRow,
    open_task,
)


@dataclass(frozen=True)
class AgentTask:
    """One open task of an agent, and its event's state."""

    ticket_id: int
    subject: str | None
    due_at: datetime | None
    on_calendar: bool  # an event of it is in the agent's current calendar
    kept_off_since: datetime | None  # the agent deleted its event then
    failure_kind: str | None  # set while its last calendar write failed
    failure_reason: str | None
    next_retry_at: datetime | None


@dataclass(frozen=True)
class AgentTaskPage:
    """Some of an agent's open tasks (soonest due first), with counts over all of them."""

    tasks: list[AgentTask]
    total: int
    on_calendar: int
    failing: int
    kept_off: int


class AgentTasks:
    """Reads an agent's open tasks with their calendar state. Does not commit."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def page(
        self,
        account_id: int,
        agent_id: int,
        calendar_id: str | None,
        *,
        limit: int,
        offset: int = 0,
    ) -> AgentTaskPage:
        """Open tasks assigned to Zendesk user ``agent_id``, soonest due first (tasks
        without a due date last), ``limit`` from ``offset``. ``calendar_id`` is the
        agent's current calendar (None: none chosen, so nothing is on it)."""
        ticket, failure, kept = TicketRow, FailedTicketRow, SuppressedEventRow
        in_calendar = exists().where(
            CalendarEntryRow.account_id == ticket.account_id,
            CalendarEntryRow.ticket_id == ticket.ticket_id,
            CalendarEntryRow.agent_id == agent_id,
            CalendarEntryRow.calendar_id == calendar_id,
        )
        on_calendar = case((in_calendar, 1), else_=0)
        query = (
            select(
                ticket.ticket_id,
                ticket.subject,
                ticket.due_at,
                on_calendar.label("on_calendar"),
                kept.suppressed_at.label("kept_off_since"),
                failure.kind.label("failure_kind"),
                failure.reason.label("failure_reason"),
                failure.next_retry_at,
                func.count().over().label("total"),
                func.sum(cast(on_calendar, Integer)).over().label("total_on_calendar"),
                func.count(failure.ticket_id).over().label("total_failing"),
                func.count(kept.ticket_id).over().label("total_kept_off"),
            )
            .select_from(ticket)
            .outerjoin(kept, and_(
                kept.account_id == ticket.account_id,
                kept.ticket_id == ticket.ticket_id,
                kept.agent_id == agent_id,
            ))
            # A failure recorded for another agent (before a reassignment) is not theirs.
            .outerjoin(failure, and_(
                failure.account_id == ticket.account_id,
                failure.ticket_id == ticket.ticket_id,
                or_(failure.agent_id == agent_id, failure.agent_id.is_(None)),
            ))
            .where(
                ticket.account_id == account_id,
                ticket.assignee_id == agent_id,
                open_task(ticket.type, ticket.status),
            )
            .order_by(ticket.due_at.asc().nulls_last(), ticket.ticket_id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._session.execute(query)).all()
        if not rows:
            return AgentTaskPage([], 0, 0, 0, 0)
        first = rows[0]
        return AgentTaskPage(
            tasks=[_task(row) for row in rows],
            total=int(first.total),
            on_calendar=int(first.total_on_calendar or 0),
            failing=int(first.total_failing),
            kept_off=int(first.total_kept_off),
        )


def _task(row: Any) -> AgentTask:
    return AgentTask(
        ticket_id=row.ticket_id,
        subject=row.subject,
        due_at=row.due_at,
        on_calendar=bool(row.on_calendar),
        kept_off_since=row.kept_off_since,
        failure_kind=row.failure_kind,
        failure_reason=row.failure_reason,
        next_retry_at=row.next_retry_at,
    )
