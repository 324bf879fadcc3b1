"""One account's work never runs twice at once: an in-process lock plus a database lease.

The in-process lock queues the tasks of one process; the lease (a row with an expiry,
renewed while the work runs) keeps other processes and machines out, so the worker of
``zdcal serve``, a ``zdcal sync`` from the command line and a second server agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from zdcal.store import Store

log = logging.getLogger(__name__)

LEASE_PERIOD = timedelta(seconds=60)


class AccountBusy(Exception):
    """Another process is working on this account right now."""


def holder_name() -> str:
    """Who holds leases taken by this process: host, pid and a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AccountLocks:
    """Hands out exclusive access to accounts for this process."""

    def __init__(self, store: Store, *, holder: str | None = None,
                 period: timedelta = LEASE_PERIOD) -> None:
        self._store = store
        self.holder = holder or holder_name()
        self._period = period
        self._local: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, account_id: int, *, wait: float = 0.0) -> AsyncIterator[None]:
        """Hold the account for the block; raise AccountBusy if another process has it
        (after trying for ``wait`` seconds)."""
        lock = self._local.setdefault(account_id, asyncio.Lock())
        async with lock:
            await self._take(account_id, wait)
            renewer = asyncio.create_task(self._renew(account_id))
            try:
                yield
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
                async with self._store.transaction() as tx:
                    await tx.leases.release(account_id, self.holder)

    async def _take(self, account_id: int, wait: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            async with self._store.transaction() as tx:
                if await tx.leases.take(account_id, self.holder, self._period):
                    return
            if loop.time() >= deadline:
                raise AccountBusy(f"account {account_id} is being synced by another process")
            await asyncio.sleep(min(1.0, max(0.05, deadline - loop.time())))

    async def _renew(self, account_id: int) -> None:
        while True:
            await asyncio.sleep(self._period.total_seconds() / 3)
            try:
                async with self._store.transaction() as tx:
                    if not await tx.leases.take(account_id, self.holder, self._period):
                        log.error("lost the lease on account %s", account_id)
            except Exception:  # a failed renewal is retried; the lease has slack
                log.exception("could not renew the lease on account %s", account_id)
