"""What two-way sync keeps: events agents deleted, and agents whose calendars changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert, execute_write, ids_chunks
from zdcal.store.tables import PendingCalendarReadRow, SuppressedEventRow


@dataclass(frozen=True)
class Suppression:
    """A task kept off an agent's calendar while its basis (date, assignee, type) holds."""

    ticket_id: int
    agent_id: int
    due_at: datetime | None
    assignee_id: int | None
    type: str | None
    suppressed_at: datetime


class Suppressions(Repository):
    """Reads and writes ``suppressed_events``. Does not commit."""

    async def add(self, account_id: int, ticket_id: int, agent_id: int, *,
                  due_at: datetime | None, assignee_id: int | None, type: str | None) -> None:
        values = {"due_at": due_at, "assignee_id": assignee_id, "type": type,
                  "suppressed_at": self._clock.now()}
        insert = dialect_insert(self._session, SuppressedEventRow).values(
            account_id=account_id, ticket_id=ticket_id, agent_id=agent_id, **values
        )
        await self._session.execute(insert.on_conflict_do_update(
            index_elements=["account_id", "ticket_id", "agent_id"], set_=values))

    async def for_tickets(self, account_id: int, ticket_ids: list[int]) -> list[Suppression]:
        found: list[Suppression] = []
        for chunk in ids_chunks(self._session, ticket_ids):
            rows = await self._session.execute(
                select(*_COLUMNS).where(
                    SuppressedEventRow.account_id == account_id,
                    SuppressedEventRow.ticket_id.in_(chunk),
                )
            )
            found.extend(Suppression(**row._asdict()) for row in rows)
        return found

    async def for_agent(self, account_id: int, agent_id: int) -> list[Suppression]:
        rows = await self._session.execute(
            select(*_COLUMNS).where(
                SuppressedEventRow.account_id == account_id,
                SuppressedEventRow.agent_id == agent_id,
            ).order_by(SuppressedEventRow.ticket_id)
        )
        return [Suppression(**row._asdict()) for row in rows]

    async def remove(self, account_id: int, ticket_id: int, agent_id: int) -> None:
        await execute_write(self._session, delete(SuppressedEventRow).where(
            SuppressedEventRow.account_id == account_id,
            SuppressedEventRow.ticket_id == ticket_id,
            SuppressedEventRow.agent_id == agent_id,
        ))


_COLUMNS = tuple(SuppressedEventRow.__table__.c[name] for name in (
    "ticket_id", "agent_id", "due_at", "assignee_id", "type", "suppressed_at"))


class PendingCalendarReads(Repository):
    """Agents whose calendars reported changes; one row per agent. Does not commit."""

    async def add(self, account_id: int, agent_id: int) -> None:
        now = self._clock.now()
        insert = dialect_insert(self._session, PendingCalendarReadRow).values(
            account_id=account_id, agent_id=agent_id, received_at=now
        )
        # A newer notification moves the time forward, so a read already under way
        # (which started from the older time) does not clear it: see done().
        await self._session.execute(insert.on_conflict_do_update(
            index_elements=["account_id", "agent_id"], set_={"received_at": now}))

    async def waiting(self) -> list[tuple[int, int, datetime]]:
        rows = await self._session.execute(select(
            PendingCalendarReadRow.account_id, PendingCalendarReadRow.agent_id,
            PendingCalendarReadRow.received_at,
        ).order_by(PendingCalendarReadRow.received_at))
        return [(a, b, c) for a, b, c in rows]

    async def done(self, account_id: int, agent_id: int, received_at: datetime) -> None:
        """Forget the request, unless a newer notification arrived meanwhile."""
        await execute_write(self._session, delete(PendingCalendarReadRow).where(
            PendingCalendarReadRow.account_id == account_id,
            PendingCalendarReadRow.agent_id == agent_id,
            PendingCalendarReadRow.received_at <= received_at,
        ))
