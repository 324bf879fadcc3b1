"""Recording notified tickets durably and fast: many webhooks, one transaction.

Each webhook waits until its ticket is committed to the queue table before it is
answered, so an accepted notification is never lost; but concurrent webhooks share one
commit (group commit), which is what lets one core accept thousands per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from zdcal.store import Store

log = logging.getLogger(__name__)


class NotificationIntake:
    """Buffers (account, ticket) pairs and commits them in batches."""

    def __init__(
        self,
        store: Store,
        *,
        on_committed: Callable[[], None] = lambda: None,
        max_batch: int = 1000,
        max_delay: float = 0.002,
    ) -> None:
        self._store = store
        self._on_committed = on_committed
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._buffer: dict[tuple[int, int], None] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._ready = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False

    async def record(self, account_id: int, ticket_id: int) -> None:
        """Return once the pair is committed; raise if the commit failed."""
        if self._closing:
            raise RuntimeError("the intake is closed")
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_forever(), name="intake")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer[(account_id, ticket_id)] = None  # a pair twice in a batch: once
        self._waiters.append(waiter)
        self._ready.set()
        await waiter

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
        if not self._waiters:
            return
        pairs, waiters = list(self._buffer), self._waiters
        self._buffer, self._waiters = {}, []
        try:
            async with self._store.transaction() as tx:
                await tx.notifications.add_many(pairs)
                for account_id in {a for a, _ in pairs}:
                    await tx.accounts.mark_webhook_received(account_id)
        except Exception as exc:
            log.exception("could not record %d notified tickets", len(pairs))
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._on_committed()
