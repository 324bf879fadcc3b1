"""The latest sweep and verify of each account and what they did (the admin page's numbers).

One row per account and kind, replaced by each run: the page shows the last one, and the
counts survive the process that ran it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from zdcal.store.columns import fit_text
from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert
from zdcal.store.tables import RunKind, SyncRunRow

ERROR_LIMIT = 500  # the column's size


@dataclass(frozen=True)
class RunCounts:
    """What one run did, in numbers."""

    tickets_read: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_deleted: int = 0
    events_failed: int = 0

    @property
    def events_written(self) -> int:
        """Calendar writes that succeeded: events created, updated and deleted."""
        return self.events_created + self.events_updated + self.events_deleted


@dataclass(frozen=True)
class SyncRun:
    """The latest finished run of one kind."""

    kind: RunKind
    started_at: datetime
    finished_at: datetime
    counts: RunCounts
    error: str | None  # None: it succeeded


class SyncRuns(Repository):
    """Reads and writes ``sync_runs``. Does not commit: the caller owns the transaction."""

    async def record(
        self,
        account_id: int,
        kind: RunKind,
        *,
        started_at: datetime,
        counts: RunCounts,
        error: str | None = None,
    ) -> None:
        """Keep this run as the account's latest of its kind (finished now)."""
        values = {
            "started_at": started_at,
            "finished_at": self._clock.now(),
            "tickets_read": counts.tickets_read,
            "events_created": counts.events_created,
            "events_updated": counts.events_updated,
            "events_deleted": counts.events_deleted,
            "events_failed": counts.events_failed,
            "error": fit_text(error, ERROR_LIMIT) if error is not None else None,
        }
        insert = dialect_insert(self._session, SyncRunRow).values(
            account_id=account_id, kind=kind.value, **values
        )
        await self._session.execute(
            insert.on_conflict_do_update(index_elements=["account_id", "kind"], set_=values)
        )

    async def latest(self, account_id: int) -> dict[RunKind, SyncRun]:
        """The account's latest run of each kind that ran at least once."""
        rows = await self._session.execute(
            select(SyncRunRow).where(SyncRunRow.account_id == account_id)
        )
        runs: dict[RunKind, SyncRun] = {}
        for (row,) in rows:
            kind = RunKind(row.kind)
            runs[kind] = SyncRun(
                kind=kind,
                started_at=row.started_at,
                finished_at=row.finished_at,
                counts=RunCounts(
                    tickets_read=row.tickets_read,
                    events_created=row.events_created,
                    events_updated=row.events_updated,
                    events_deleted=row.events_deleted,
                    events_failed=row.events_failed,
                ),
                error=row.error,
            )
        return runs
