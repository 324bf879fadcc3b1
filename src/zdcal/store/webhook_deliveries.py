"""Zendesk webhook deliveries already accepted: replay protection every process shares."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete

from zdcal.store.repository import Repository
from zdcal.store.statements import chunked, dialect_insert, execute_write, rows_per_statement
from zdcal.store.tables import WebhookDeliveryRow


class WebhookDeliveries(Repository):
    """Reads and writes ``webhook_deliveries``. Does not commit."""

    async def claim(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Record (account id, delivery key) pairs; return those no transaction recorded
        before (the others are replays). Concurrent claims of one key: one wins."""
        claimed: set[tuple[int, str]] = set()
        now = self._clock.now()
        for chunk in chunked(dict.fromkeys(keys), rows_per_statement(self._session, 3)):
            insert = dialect_insert(self._session, WebhookDeliveryRow)
            rows = await self._session.execute(
                insert.on_conflict_do_nothing().returning(
                    WebhookDeliveryRow.account_id, WebhookDeliveryRow.delivery_key
                ),
                [{"account_id": a, "delivery_key": k, "received_at": now} for a, k in chunk],
            )
            claimed.update((a, k) for a, k in rows)
        return claimed

    async def forget_before(self, instant: datetime) -> int:
        """Forget deliveries received before ``instant`` (their signatures have expired)."""
        return await execute_write(
            self._session,
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.received_at < instant),
        )
