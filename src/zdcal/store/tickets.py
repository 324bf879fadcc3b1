"""The ticket mirror: the fields the rules need, for tasks and for tickets with entries.

Written in bulk from Zendesk's incremental export (up to 1,000 tickets a page) and from
``show_many`` after a webhook. Those two feeds can deliver an older version of a ticket
after a newer one, so a row is only overwritten by a version that is not older.

Versions are ordered by ``updated_at``, which every ticket payload carries, and, on equal
(or missing) ``updated_at``, by when zdcal read them: the later read wins. All writes of an
account run under its lock and each unit of work reads before it writes, so the later
write is the later read. ``generated_timestamp`` is not used: real Zendesk sends it only in
the incremental export (show, show_many, create and update leave it out, and a create has
answered 0), so comparing it would let a stale export row beat a fresh re-read. Equal
``updated_at`` is common: a soft or permanent delete bumps only ``generated_timestamp``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.store.statements import (
    MAX_ROWS_PER_STATEMENT,
    chunked,
    dialect_insert,
    execute_write,
    ids_chunks,
)
from zdcal.store.tables import DESCRIPTION_LIMIT, TicketRow, open_task


@dataclass(frozen=True)
class MirroredTicket:
    """One ticket as mirrored; the fields of ``zdcal.domain.TicketState`` and two more."""

    ticket_id: int
    type: str | None
    status: str
    due_at: datetime | None
    assignee_id: int | None
    subject: str | None
    description: str | None  # the first ``DESCRIPTION_LIMIT`` characters
    priority: str | None
    updated_at: datetime | None = None
    # Kept as Zendesk sent it (the export only); versions are ordered by updated_at.
    generated_timestamp: int | None = None


_FIELDS = tuple(MirroredTicket.__dataclass_fields__)
_UPDATED = tuple(name for name in _FIELDS if name != "ticket_id")


class TicketMirror:
    """Reads and writes ``tickets``. Does not commit: the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_many(self, account_id: int, tickets: Iterable[MirroredTicket]) -> int:
        """Insert or update many tickets, one statement per chunk; returns how many were sent.

        ``tickets`` are in the order they were read. When a ticket appears more than once,
        and against the stored row, the newest version (by ``updated_at``, the later read
        on a tie) is kept.
        """
        newest: dict[int, MirroredTicket] = {}
        for ticket in tickets:
            known = newest.get(ticket.ticket_id)
            if known is None or not _older(ticket, known):
                newest[ticket.ticket_id] = ticket
        insert = dialect_insert(self._session, TicketRow)
        stored, incoming = TicketRow.updated_at, insert.excluded.updated_at
        statement = insert.on_conflict_do_update(
            index_elements=["account_id", "ticket_id"],
            set_={name: insert.excluded[name] for name in _UPDATED},
            where=or_(stored.is_(None), incoming.is_(None), incoming >= stored),
        )
        for chunk in chunked(newest.values(), MAX_ROWS_PER_STATEMENT):
            await self._session.execute(
                statement, [_row_values(account_id, ticket) for ticket in chunk]
            )
        return len(newest)

    async def get_many(
        self, account_id: int, ticket_ids: Iterable[int]
    ) -> dict[int, MirroredTicket]:
        """The mirrored tickets among ``ticket_ids``, by id (unknown ids are left out)."""
        found: dict[int, MirroredTicket] = {}
        for chunk in ids_chunks(self._session, ticket_ids):
            rows = await self._session.execute(
                _select_tickets().where(
                    TicketRow.account_id == account_id, TicketRow.ticket_id.in_(chunk)
                )
            )
            found.update((row.ticket_id, _from_row(row)) for row in rows)
        return found

    async def open_tasks_for_assignee(
        self, account_id: int, assignee_id: int
    ) -> list[MirroredTicket]:
        """Tasks in an open status assigned to a Zendesk user, by ticket id."""
        rows = await self._session.execute(
            _select_tickets()
            .where(
                TicketRow.account_id == account_id,
                TicketRow.assignee_id == assignee_id,
                open_task(TicketRow.type, TicketRow.status),
            )
            .order_by(TicketRow.ticket_id)
        )
        return [_from_row(row) for row in rows]

    async def count_open_tasks(self, account_id: int) -> int:
        """How many mirrored open tasks have a due date and an assignee: each wants an
        event, once its assignee has connected a calendar."""
        total = await self._session.scalar(
            select(func.count()).where(
                TicketRow.account_id == account_id,
                open_task(TicketRow.type, TicketRow.status),
                TicketRow.due_at.is_not(None),
                TicketRow.assignee_id.is_not(None),
            )
        )
        return int(total or 0)

    async def latest_open_task(
        self, account_id: int, assignee_ids: Collection[int] | None = None
    ) -> MirroredTicket | None:
        """The most recently updated open task with a due date (of one of ``assignee_ids``,
        when given), or ``None``: an example of the account's own due dates."""
        query = _select_tickets().where(
            TicketRow.account_id == account_id,
            open_task(TicketRow.type, TicketRow.status),
            TicketRow.due_at.is_not(None),
        )
        if assignee_ids is not None:
            query = query.where(TicketRow.assignee_id.in_(list(assignee_ids)))
        query = query.order_by(
            TicketRow.updated_at.desc().nulls_last(), TicketRow.ticket_id.desc()
        ).limit(1)
        row = (await self._session.execute(query)).first()
        return None if row is None else _from_row(row)

    async def delete_many(self, account_id: int, ticket_ids: Iterable[int]) -> int:
        """Forget tickets (they left the mirror's scope); returns how many rows went."""
        deleted = 0
        for chunk in ids_chunks(self._session, ticket_ids):
            deleted += await execute_write(
                self._session,
                delete(TicketRow).where(
                    TicketRow.account_id == account_id, TicketRow.ticket_id.in_(chunk)
                ),
            )
        return deleted


def _older(ticket: MirroredTicket, than: MirroredTicket) -> bool:
    """Whether ``ticket`` is an older version than ``than`` (read before it)."""
    if ticket.updated_at is None or than.updated_at is None:
        return False
    return ticket.updated_at < than.updated_at


def _row_values(account_id: int, ticket: MirroredTicket) -> dict[str, Any]:
    values = {name: getattr(ticket, name) for name in _FIELDS}
    if ticket.description is not None:
        values["description"] = ticket.description[:DESCRIPTION_LIMIT]
    values["account_id"] = account_id
    return values


def _select_tickets() -> Select[Any]:
    return select(*(TicketRow.__table__.c[name] for name in _FIELDS))


def _from_row(row: Row[Any]) -> MirroredTicket:
    return MirroredTicket(**row._asdict())
