"""Recording notified tickets durably and fast: many webhooks, one transaction.

Each webhook waits until its ticket is committed to the queue table before it is
answered, so an accepted notification is never lost; but concurrent webhooks share one
commit (group commit), which is what lets one core accept thousands per second.

The same commit claims each delivery's keys in ``webhook_deliveries``: a delivery any
process (or this one before a restart) already accepted is answered as a duplicate and
queues nothing, so a replayed delivery never costs a Zendesk read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from zdcal.clock import Clock
from zdcal.store import Store, Transaction

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class _Delivery:
    account_id: int
    ticket_id: int
    keys: tuple[str, ...]
    accepted: asyncio.Future[bool]


class NotificationIntake:
    """Buffers deliveries (account, ticket, delivery keys) and commits them in batches.

    ``remember_for`` is how long delivery keys are kept: as long as a copy of the
    delivery could still pass the signature timestamp check.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        remember_for: timedelta,
        on_committed: Callable[[], None] = lambda: None,
        max_batch: int = 1000,
        max_delay: float = 0.002,
    ) -> None:
        self._store = store
        self._clock = clock
        self._remember_for = remember_for
        self._on_committed = on_committed
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._buffer: list[_Delivery] = []
        self._ready = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False
        self._pruned_at = float("-inf")

    async def record(self, account_id: int, ticket_id: int, keys: Sequence[str] = ()) -> bool:
        """Return once the delivery is committed: True if it was queued, False if one of
        its ``keys`` was accepted before (a replay). Raise if the commit failed."""
        if self._closing:
            raise RuntimeError("the intake is closed")
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_forever(), name="intake")
        accepted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._buffer.append(_Delivery(account_id, ticket_id, tuple(keys), accepted))
        self._ready.set()
        return await accepted

    async def close(self) -> None:
        """Commit what is buffered, then stop."""
        self._closing = True
        if self._flusher is not None:
            self._ready.set()
            await self._flush()
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def _flush_forever(self) -> None:
        while True:
            await self._ready.wait()
            if len(self._buffer) < self._max_batch:
                await asyncio.sleep(self._max_delay)
            await self._flush()

    async def _flush(self) -> None:
        self._ready.clear()
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        try:
            async with self._store.transaction() as tx:
                outcomes = await self._commit(tx, batch)
        except Exception as exc:
            log.exception("could not record %d notified tickets", len(batch))
            for delivery in batch:
                if not delivery.accepted.done():
                    delivery.accepted.set_exception(exc)
            return
        for delivery, outcome in zip(batch, outcomes, strict=True):
            if not delivery.accepted.done():
                delivery.accepted.set_result(outcome)
        self._on_committed()

    async def _commit(self, tx: Transaction, batch: list[_Delivery]) -> list[bool]:
        """Claim the batch's delivery keys and queue the tickets of first deliveries;
        a key twice in one batch counts for its first delivery only."""
        claimed = await tx.deliveries.claim([(d.account_id, k) for d in batch for k in d.keys])
        taken: set[tuple[int, str]] = set()
        outcomes: list[bool] = []
        pairs: dict[tuple[int, int], None] = {}  # a pair twice in a batch: once
        for delivery in batch:
            keys = {(delivery.account_id, k) for k in delivery.keys}
            first = keys <= claimed and not keys & taken
            taken |= keys
            outcomes.append(first)
            if first:
                pairs[(delivery.account_id, delivery.ticket_id)] = None
        await tx.notifications.add_many(list(pairs))
        for account_id in {a for a, _ in pairs}:
            await tx.accounts.mark_webhook_received(account_id)
        if time.monotonic() - self._pruned_at >= PRUNE_INTERVAL_SECONDS:
            self._pruned_at = time.monotonic()
            await tx.deliveries.forget_before(self._clock.now() - self._remember_for)
        return outcomes
