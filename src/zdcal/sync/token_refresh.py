"""Refreshing an agent's calendar tokens without ever locking the agent out.

Backend-neutral: a backend hands each refresh to :class:`AgentTokenRefresh` (a
:data:`zdcal.calendars.base.TokenCoordinator`) with the call that refreshes at its
service. Services (Cronofy among them) may rotate the refresh token on every refresh, and
the used one may die at once.
Several processes (the server's worker, a ``zdcal sync``, a second server) and several
clients inside one process can hold the same agent's tokens; if two of them refresh with
the same refresh token, the second gets ``invalid_grant`` and, naively, the agent would
be marked as needing to reconnect. Two rules prevent that, and both work the same on
SQLite and PostgreSQL because they use only ordinary rows:

1. Serialise: a refresh first takes the agent's row in ``token_refresh_leases`` (a lease
   with an expiry, taken in a short transaction, so no database lock is held while the
   service answers). Whoever waits for the lease re-reads the stored tokens while waiting: when
   they changed, someone else refreshed, and those tokens are used without asking the service.
2. Re-read before giving up: if the service still refuses the refresh token (a holder whose
   lease ran out, an older zdcal without leases), the stored tokens are watched for a short
   while; newer ones are used instead of declaring the authorization lost.

Whatever the service answers (a new refresh token, the same one, or none) is stored before
the lease is released, so the next refresher starts from it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import timedelta

from zdcal.calendars.base import CalendarAuthorizationExpired, CalendarRefreshBusy, RefreshTokens
from zdcal.http.retry import Sleep
from zdcal.store import CalendarTokens, Store, Transaction

log = logging.getLogger(__name__)

LEASE_PERIOD = timedelta(seconds=60)
"""Longer than a token request can take under the token retry policy (15 s of waits)."""
SETTLE_SECONDS = 2.0
"""How long a refused refresh watches for tokens another process is about to store."""
POLL_SECONDS = 0.1


class AgentTokenRefresh:
    """The refresh coordinator of one agent (``agents.id``); see the module docstring."""

    def __init__(
        self,
        store: Store,
        agent_id: int,
        *,
        lease_period: timedelta = LEASE_PERIOD,
        settle_seconds: float = SETTLE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._store = store
        self._agent_id = agent_id
        self._lease_period = lease_period
        self._settle_seconds = settle_seconds
        self._poll_seconds = poll_seconds
        self._sleep = sleep

    async def __call__(self, stale: CalendarTokens, refresh: RefreshTokens) -> CalendarTokens:
        """The tokens to use instead of ``stale``: stored newer ones, or refreshed ones."""
        holder = f"{os.getpid()}:{uuid.uuid4().hex}"[:64]  # unique per refresh, even in-process
        newer = await self._newer_or_lease(stale, holder)
        if newer is not None:
            return newer
        try:
            try:
                fresh = await refresh(stale)
            except CalendarAuthorizationExpired:
                newer = await self._settled(stale)
                if newer is None:
                    raise
                log.info("agent %s: refresh token already used; took the newer stored tokens",
                         self._agent_id)
                return newer
            async with self._store.transaction() as tx:
                await tx.agents.set_tokens(self._agent_id, fresh)
            return fresh
        finally:
            async with self._store.transaction() as tx:
                await tx.token_refresh_leases.release(self._agent_id, holder)

    async def _newer_or_lease(self, stale: CalendarTokens, holder: str) -> CalendarTokens | None:
        """Stored tokens newer than ``stale``; or None once we hold the refresh lease."""
        loop = asyncio.get_running_loop()
        # A live holder finishes well within its lease; waiting one period covers a dead one.
        deadline = loop.time() + self._lease_period.total_seconds() + self._settle_seconds
        while True:
            async with self._store.transaction() as tx:
                # Lease first, then read: on PostgreSQL (read committed) a read before the
                # take could miss tokens stored by a holder that released in between.
                took = await tx.token_refresh_leases.take(
                    self._agent_id, holder, self._lease_period
                )
                newer = await self._newer(tx, stale)
                if newer is not None:
                    if took:
                        await tx.token_refresh_leases.release(self._agent_id, holder)
                    return newer
                if took:
                    return None
            if loop.time() >= deadline:
                raise CalendarRefreshBusy(
                    f"agent {self._agent_id}: another process is still refreshing its tokens"
                )
            await self._sleep(self._poll_seconds)

    async def _settled(self, stale: CalendarTokens) -> CalendarTokens | None:
        """Newer stored tokens, watched for up to ``settle_seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settle_seconds
        while True:
            async with self._store.transaction() as tx:
                newer = await self._newer(tx, stale)
            if newer is not None or loop.time() >= deadline:
                return newer
            await self._sleep(self._poll_seconds)

    async def _newer(self, tx: Transaction, stale: CalendarTokens) -> CalendarTokens | None:
        agent = await tx.agents.get(self._agent_id)
        stored = agent.tokens if agent is not None else None
        if stored is None or (
            stored.access_token == stale.access_token
            and stored.refresh_token == stale.refresh_token
        ):
            return None
        return stored
