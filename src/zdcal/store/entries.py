"""Calendar entries: the events zdcal wrote, so the planner can compare and clean up.

An entry is recorded only after the calendar accepted the write, and removed only after
the calendar accepted the delete (vdirsyncer's status table). Entries are keyed by
(account, ticket, agent, calendar): one ticket may have several while an old agent's
delete is pending. The write methods take any object with the entry fields, so the
domain's ``DesiredEntry`` / ``RecordedEntry`` can be passed as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Row, Select, Table, bindparam, delete, func, select, tuple_, update

from zdcal.store.repository import Repository
from zdcal.store.statements import (
    MAX_ROWS_PER_STATEMENT,
    chunked,
    dialect_insert,
    execute_write,
    ids_chunks,
    rows_per_statement,
)
from zdcal.store.tables import CalendarEntryRow


class EntryPlace(Protocol):
    """Where an entry lives: which ticket, in which agent's calendar."""

    @property
    def ticket_id(self) -> int: ...
    @property
    def agent_id(self) -> int: ...  # Zendesk user id
    @property
    def calendar_id(self) -> str: ...


class EntryContent(EntryPlace, Protocol):
    """An entry that was written: its place plus the event id and content hash."""

    @property
    def event_id(self) -> str: ...
    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True)
class CalendarEntry:
    """A recorded entry."""

    ticket_id: int
    agent_id: int  # Zendesk user id
    calendar_id: str
    event_id: str
    content_hash: str
    written_at: datetime
    event_start: str | None = None
    event_end: str | None = None
    pinned_due_at: datetime | None = None
    object_href: str | None = None  # where the calendar keeps it (CalDAV), if it said
    object_etag: str | None = None  # the version last written or read (CalDAV)


_KEY = ("account_id", "ticket_id", "agent_id", "calendar_id")


class CalendarEntries(Repository):
    """Reads and writes ``calendar_entries``. Does not commit: the caller owns the transaction."""

    async def for_tickets(self, account_id: int, ticket_ids: Iterable[int]) -> list[CalendarEntry]:
        """Every entry of the given tickets, ordered by ticket, agent, calendar."""
        found: list[CalendarEntry] = []
        for chunk in ids_chunks(self._session, ticket_ids):
            rows = await self._session.execute(
                _select_entries()
                .where(
                    CalendarEntryRow.account_id == account_id,
                    CalendarEntryRow.ticket_id.in_(chunk),
                )
                .order_by(*_ORDER)
            )
            found.extend(_from_row(row) for row in rows)
        return found

    async def for_agent(self, account_id: int, agent_id: int) -> list[CalendarEntry]:
        """Every entry in a Zendesk user's calendars, ordered by ticket, calendar."""
        rows = await self._session.execute(
            _select_entries()
            .where(CalendarEntryRow.account_id == account_id, CalendarEntryRow.agent_id == agent_id)
            .order_by(*_ORDER)
        )
        return [_from_row(row) for row in rows]

    async def ticket_ids(self, account_id: int) -> set[int]:
        """Every ticket of the account that has an entry in some calendar."""
        rows = await self._session.execute(
            select(CalendarEntryRow.ticket_id)
            .where(CalendarEntryRow.account_id == account_id)
            .distinct()
        )
        return set(rows.scalars())

    async def count(self, account_id: int) -> int:
        """How many events of the account zdcal holds in calendars."""
        total = await self._session.scalar(
            select(func.count()).where(CalendarEntryRow.account_id == account_id)
        )
        return int(total or 0)

    async def upsert(self, account_id: int, entry: EntryContent) -> None:
        """Record one entry after its event was written."""
        await self.upsert_many(account_id, [entry])

    async def upsert_many(self, account_id: int, entries: Iterable[EntryContent]) -> None:
        """Record entries after their events were written (e.g. one calendar batch)."""
        now = self._clock.now()
        insert = dialect_insert(self._session, CalendarEntryRow)
        statement = insert.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                name: insert.excluded[name]
                for name in ("event_id", "content_hash", "written_at", "event_start", "event_end")
            },
        )
        # One row per place: a second write to the same place in one call supersedes the first.
        by_place = {(e.ticket_id, e.agent_id, e.calendar_id): e for e in entries}
        for chunk in chunked(by_place.values(), MAX_ROWS_PER_STATEMENT):
            rows = [
                {
                    "account_id": account_id,
                    "ticket_id": entry.ticket_id,
                    "agent_id": entry.agent_id,
                    "calendar_id": entry.calendar_id,
                    "event_id": entry.event_id,
                    "content_hash": entry.content_hash,
                    "written_at": now,
                    # Entries built from a written body know its start and end.
                    "event_start": getattr(entry, "event_start", None),
                    "event_end": getattr(entry, "event_end", None),
                }
                for entry in chunk
            ]
            await self._session.execute(statement, rows)

    async def set_pin(
        self, account_id: int, entry: EntryPlace, pinned_due_at: datetime | None
    ) -> None:
        """Remember (or forget) the due_at an agent's calendar move set for this entry."""
        await self._set(account_id, entry, pinned_due_at=pinned_due_at)

    async def set_object(
        self, account_id: int, entry: EntryPlace, href: str | None, etag: str | None
    ) -> None:
        """Remember where the calendar keeps this entry's event and which version of it
        zdcal last wrote or read (for conditional writes)."""
        await self.set_objects(account_id, [(entry, href, etag)])

    async def set_objects(
        self, account_id: int, objects: Iterable[tuple[EntryPlace, str | None, str | None]]
    ) -> None:
        """:meth:`set_object` for many entries (e.g. one calendar batch's creates) in one
        prepared UPDATE run over all their rows: a statement per entry cost a backfill
        more of zdcal's CPU than the calendar write itself (bench/ms_backfill.py)."""
        rows = [
            {
                "b_account": account_id,
                "b_ticket": entry.ticket_id,
                "b_agent": entry.agent_id,
                "b_calendar": entry.calendar_id,
                "object_href": href,
                "object_etag": etag,
            }
            for entry, href, etag in objects
        ]
        if rows:
            await self._session.execute(_SET_OBJECT, rows)

    async def _set(self, account_id: int, entry: EntryPlace, **values: Any) -> None:
        await self._session.execute(
            update(CalendarEntryRow)
            .where(
                CalendarEntryRow.account_id == account_id,
                CalendarEntryRow.ticket_id == entry.ticket_id,
                CalendarEntryRow.agent_id == entry.agent_id,
                CalendarEntryRow.calendar_id == entry.calendar_id,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def delete(self, account_id: int, entry: EntryPlace) -> bool:
        """Forget one entry after its event was deleted; ``False`` if it was not recorded."""
        return await self.delete_many(account_id, [entry]) == 1

    async def delete_many(self, account_id: int, entries: Iterable[EntryPlace]) -> int:
        """Forget entries after their events were deleted; returns how many rows went."""
        places = sorted({(e.ticket_id, e.agent_id, e.calendar_id) for e in entries})
        key = tuple_(
            CalendarEntryRow.ticket_id, CalendarEntryRow.agent_id, CalendarEntryRow.calendar_id
        )
        deleted = 0
        for chunk in chunked(places, rows_per_statement(self._session, 3)):
            deleted += await execute_write(
                self._session,
                delete(CalendarEntryRow).where(
                    CalendarEntryRow.account_id == account_id, key.in_(chunk)
                ),
            )
        return deleted


_TABLE = cast(Table, CalendarEntryRow.__table__).c
# Core, not ORM: run with a list of rows it is one executemany, not one UPDATE per row.
_SET_OBJECT = (
    update(cast(Table, CalendarEntryRow.__table__))
    .where(
        _TABLE.account_id == bindparam("b_account"),
        _TABLE.ticket_id == bindparam("b_ticket"),
        _TABLE.agent_id == bindparam("b_agent"),
        _TABLE.calendar_id == bindparam("b_calendar"),
    )
    .values(object_href=bindparam("object_href"), object_etag=bindparam("object_etag"))
)
_ORDER = (CalendarEntryRow.ticket_id, CalendarEntryRow.agent_id, CalendarEntryRow.calendar_id)
_FIELDS = tuple(CalendarEntry.__dataclass_fields__)


def _select_entries() -> Select[Any]:
    return select(*(CalendarEntryRow.__table__.c[name] for name in _FIELDS))


def _from_row(row: Row[Any]) -> CalendarEntry:
    return CalendarEntry(**row._asdict())
