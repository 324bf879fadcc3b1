"""Sync cursors: where each account's incremental ticket export continues from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert
from zdcal.store.tables import SyncCursorRow


@dataclass(frozen=True)
class SyncCursor:
    """An opaque export cursor, the ``start_time`` its chain began from, and when it was saved."""

    cursor: str
    start_time: datetime
    stored_at: datetime


class SyncCursors(Repository):
    """Reads and writes ``sync_cursors``. Does not commit: the caller owns the transaction."""

    async def get(self, account_id: int) -> SyncCursor | None:
        """The account's cursor, or ``None`` when the export must start from a time."""
        row = (
            await self._session.execute(
                select(
                    SyncCursorRow.cursor, SyncCursorRow.start_time, SyncCursorRow.stored_at
                ).where(SyncCursorRow.account_id == account_id)
            )
        ).one_or_none()
        return None if row is None else SyncCursor(**row._asdict())

    async def set(self, account_id: int, cursor: str, *, start_time: datetime) -> None:
        """Save the cursor to continue from (Zendesk's ``after_cursor``)."""
        values = {"cursor": cursor, "start_time": start_time, "stored_at": self._clock.now()}
        insert = dialect_insert(self._session, SyncCursorRow).values(
            account_id=account_id, **values
        )
        await self._session.execute(
            insert.on_conflict_do_update(index_elements=["account_id"], set_=values)
        )

    async def clear(self, account_id: int) -> None:
        """Drop the cursor (e.g. Zendesk rejected it): the next export starts from a time."""
        await self._session.execute(
            delete(SyncCursorRow).where(SyncCursorRow.account_id == account_id)
        )
