"""One account's work never runs twice at once: an in-process lock plus a database lease.

The in-process lock queues the tasks of one process; the lease (a row with an expiry,
renewed while the work runs) keeps other processes and machines out, so the worker of
``zdcal serve``, a ``zdcal sync`` from the command line and a second server agree.

When a holder dies (a crash, ``kill -9``), the work resumes

* at once on the same machine: the lease names the holder's process
  (:mod:`zdcal.live.processes`), and a process that sees that process gone takes over;
* from another machine, or a new container (a pid namespace of its own), once the lease
  expires: at most :data:`LEASE_PERIOD` after the holder's last renewal.

A holder renews every fifth of the period. One that finds its lease taken, or has not
renewed it for four fifths of the period, stops its work (:class:`LeaseLost`) before the
lease can pass to anyone else; so two holders never work at once, across machines too, as
long as the machines' clocks agree within a fifth of the period.
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

from zdcal.live.processes import ProcessIdentity, is_gone, this_process
from zdcal.store import LeaseHolder, Store

log = logging.getLogger(__name__)

LEASE_PERIOD = timedelta(seconds=15)
"""Short, because only expiry frees an account from a holder on another machine; long
enough that a renewal delayed by a busy database (SQLite waits up to 10 s) still lands."""


class AccountBusy(Exception):
    """Another process is working on this account right now."""


class LeaseLost(AccountBusy):
    """The lease ran out or was taken over while this process worked: the work stopped."""


def holder_name() -> str:
    """Who holds leases taken by this process: host, pid and a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _is_gone(holder: LeaseHolder) -> bool:
    """True when the holder's process is certainly gone (see :mod:`zdcal.live.processes`)."""
    if holder.view is None or holder.pid is None or holder.started is None:
        return False
    return is_gone(ProcessIdentity(holder.view, holder.pid, holder.started))


class AccountLocks:
    """Hands out exclusive access to accounts for this process."""

    def __init__(self, store: Store, *, holder: str | None = None,
                 period: timedelta = LEASE_PERIOD) -> None:
        self._store = store
        process = this_process()
        self.holder = LeaseHolder(
            holder or holder_name(),
            *((process.view, process.pid, process.started) if process else ()),
        )
        self._period = period
        self._renew_every = period.total_seconds() / 5
        self._local: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, account_id: int, *, wait: float = 0.0) -> AsyncIterator[None]:
        """Hold the account for the block; raise AccountBusy if another process has it
        (after trying for ``wait`` seconds), LeaseLost if the lease is lost meanwhile."""
        lock = self._local.setdefault(account_id, asyncio.Lock())
        async with lock:
            valid_until = await self._take(account_id, wait)
            work = asyncio.current_task()
            assert work is not None
            lost = asyncio.Event()
            keeper = asyncio.create_task(self._keep(account_id, valid_until, work, lost))
            try:
                yield
            except asyncio.CancelledError:
                # Cancelled by the keeper alone (not also by a shutdown): report why.
                if lost.is_set() and work.uncancel() == 0:
                    raise LeaseLost(f"lost the lease on account {account_id}") from None
                raise
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
                async with self._store.transaction() as tx:
                    await tx.leases.release(account_id, self.holder.name)

    async def _take(self, account_id: int, wait: float) -> float:
        """Take the lease (waiting up to ``wait`` seconds); return until when (loop time)
        it is valid."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            attempt = loop.time()
            if await self._try_take(account_id):
                return attempt + self._period.total_seconds()
            if loop.time() >= deadline:
                raise AccountBusy(f"account {account_id} is being synced by another process")
            await asyncio.sleep(min(1.0, max(0.05, deadline - loop.time())))

    async def _try_take(self, account_id: int) -> bool:
        async with self._store.transaction() as tx:
            if await tx.leases.take(account_id, self.holder, self._period):
                return True
            current = await tx.leases.holder(account_id)
            if current is None or not _is_gone(current):
                return False
            if not await tx.leases.take(
                account_id, self.holder, self._period, replacing=current.name
            ):
                return False
        log.warning("account %s: took over the lease of %s, a process that is gone",
                    account_id, current.name)
        return True

    async def _keep(
        self, account_id: int, valid_until: float, work: asyncio.Task[object],
        lost: asyncio.Event,
    ) -> None:
        """Renew the lease while ``work`` runs; cancel ``work`` (setting ``lost``) once the
        lease is taken by another holder or was not renewed in time."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._renew_every)
            stop_by = valid_until - self._renew_every  # slack for clocks and cancelling
            attempt = loop.time()
            # A renewal stuck in the database (SQLite's busy wait) cannot be interrupted:
            # the deadline is kept by not waiting for it.
            renewal = asyncio.create_task(self._renew(account_id))
            renewed: bool | None = None
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel
                # that comes as the renewal finishes, and this keeper, cancelled when the
                # work ends, would renew the lease for ever while the work waits for it.
                async with asyncio.timeout(stop_by - attempt):
                    renewed = await asyncio.shield(renewal)
            except TimeoutError:
                log.warning("renewing the lease on account %s took too long", account_id)
            except Exception:  # retried at the next turn while the lease has slack
                log.exception("could not renew the lease on account %s", account_id)
            if renewed:
                valid_until = attempt + self._period.total_seconds()
            elif renewed is False or loop.time() >= stop_by:
                log.error("lost the lease on account %s: its work stops", account_id)
                lost.set()
                work.cancel()
                # Finish the renewal before the lease is released (after this returns).
                with contextlib.suppress(Exception):
                    await renewal
                return

    async def _renew(self, account_id: int) -> bool:
        async with self._store.transaction() as tx:
            return await tx.leases.take(account_id, self.holder, self._period)
