"""The mail outbox: mails decided in a transaction, sent later by the delivery loop.

A row is written in the same transaction as the change it reports, so it exists exactly
when the change does; its ``dedupe_key`` keeps it single across servers. The delivery
loop claims due rows (a claim is a ``next_attempt_at`` pushed ahead, taken only if nobody
moved it first), composes and sends each, and records the outcome. Failed sends are
retried with :class:`~zdcal.store.failures.RetryBackoff`, the backoff of failed tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.columns import fit_text
from zdcal.store.failures import RetryBackoff
from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import MailKind, MailRow, MailStatus

ERROR_LIMIT = 500  # the column's size


@dataclass(frozen=True)
class QueuedMail:
    """A mail waiting in the outbox (composed only when it is sent)."""

    id: int
    account_id: int
    agent_id: int | None  # Zendesk user id, for reconnect mails
    kind: MailKind
    attempts: int
    created_at: datetime


def summary_key(account_id: int, day: date) -> str:
    """The one summary an account gets on ``day``."""
    return f"summary:{account_id}:{day.isoformat()}"


class MailOutbox(Repository):
    """Reads and writes ``mail_outbox``. Does not commit: the caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, backoff: RetryBackoff) -> None:
        super().__init__(session, clock)
        self._backoff = backoff

    async def add_reconnect(self, account_id: int, agent_id: int, broke_at: datetime) -> bool:
        """Queue the mail telling an agent that their calendar access broke at ``broke_at``.

        Returns False when that breakage already has its mail.
        """
        key = f"reconnect:{account_id}:{agent_id}:{broke_at.isoformat()}"
        return await self._add(account_id, MailKind.RECONNECT, key, agent_id=agent_id)

    async def add_summary(self, account_id: int, day: date) -> bool:
        """Queue the account's admin summary of ``day``; False when it is queued already."""
        return await self._add(account_id, MailKind.SUMMARY, summary_key(account_id, day))

    async def has_summary(self, account_id: int, day: date) -> bool:
        """Whether the account's summary of ``day`` was queued (by any server)."""
        found = await self._session.scalar(
            select(MailRow.id).where(MailRow.dedupe_key == summary_key(account_id, day))
        )
        return found is not None

    async def _add(
        self, account_id: int, kind: MailKind, key: str, *, agent_id: int | None = None
    ) -> bool:
        now = self._clock.now()
        statement = (
            dialect_insert(self._session, MailRow)
            .values(
                account_id=account_id, agent_id=agent_id, kind=kind.value, dedupe_key=key,
                status=MailStatus.PENDING.value, attempts=0, created_at=now,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(MailRow.id)
        )
        return (await self._session.execute(statement)).scalar_one_or_none() is not None

    async def claim_due(self, hold: timedelta, *, limit: int = 20) -> list[QueuedMail]:
        """Take up to ``limit`` pending mails whose time has come, for ``hold``.

        A claimed mail is not due again until ``hold`` has passed, so another server
        (or this one after a crash) sends it only if the claimant never recorded an
        outcome. Each claim is a conditional update: of two servers, one wins each row.
        """
        now = self._clock.now()
        rows = (
            await self._session.execute(
                select(MailRow)
                .where(MailRow.status == MailStatus.PENDING.value,
                       MailRow.next_attempt_at <= now)
                .order_by(MailRow.next_attempt_at, MailRow.id)
                .limit(limit)
            )
        ).scalars().all()
        claimed: list[QueuedMail] = []
        for row in rows:
            taken = await execute_write(
                self._session,
                update(MailRow)
                .where(MailRow.id == row.id, MailRow.status == MailStatus.PENDING.value,
                       MailRow.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + hold)
                .execution_options(synchronize_session=False),
            )
            if taken:
                claimed.append(_queued(row))
        return claimed

    async def sent(self, mail_id: int) -> None:
        """The mail was handed to the SMTP server."""
        await self._finish(mail_id, MailStatus.SENT, None)

    async def dropped(self, mail_id: int, reason: str) -> None:
        """The mail is not worth sending any more (``reason``: plain words, no secrets)."""
        await self._finish(mail_id, MailStatus.DROPPED, reason)

    async def failed(self, mail_id: int, reason: str) -> datetime:
        """Count a failed send and schedule the next attempt; returns when that is."""
        row = await self._session.get(MailRow, mail_id, populate_existing=True)
        if row is None:
            return self._clock.now()
        attempts = row.attempts + 1
        retry_at = self._clock.now() + self._backoff.delay(attempts)
        await self._session.execute(
            update(MailRow)
            .where(MailRow.id == mail_id)
            .values(attempts=attempts, next_attempt_at=retry_at,
                    last_error=fit_text(reason, ERROR_LIMIT))
            .execution_options(synchronize_session=False)
        )
        return retry_at

    async def prune(self, older_than: timedelta) -> int:
        """Forget sent and dropped mails finished longer than ``older_than`` ago."""
        return await execute_write(
            self._session,
            delete(MailRow).where(
                MailRow.status != MailStatus.PENDING.value,
                MailRow.finished_at < self._clock.now() - older_than,
            ),
        )

    async def for_account(self, account_id: int) -> list[tuple[QueuedMail, MailStatus]]:
        """Every mail of an account with its status, oldest first (tests, diagnostics)."""
        rows = (
            await self._session.execute(
                select(MailRow).where(MailRow.account_id == account_id).order_by(MailRow.id)
                .execution_options(populate_existing=True)
            )
        ).scalars().all()
        return [(_queued(row), MailStatus(row.status)) for row in rows]

    async def _finish(self, mail_id: int, status: MailStatus, reason: str | None) -> None:
        values: dict[str, object] = {"status": status.value, "finished_at": self._clock.now()}
        if reason is not None:
            values["last_error"] = fit_text(reason, ERROR_LIMIT)
        await self._session.execute(
            update(MailRow).where(MailRow.id == mail_id).values(**values)
            .execution_options(synchronize_session=False)
        )


def _queued(row: MailRow) -> QueuedMail:
    return QueuedMail(
        id=row.id, account_id=row.account_id, agent_id=row.agent_id,
        kind=MailKind(row.kind), attempts=row.attempts, created_at=row.created_at,
    )
