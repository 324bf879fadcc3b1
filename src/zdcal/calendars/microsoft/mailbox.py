"""Outlook's per-mailbox limits, kept on zdcal's side: at most 4 requests in flight and
10,000 requests in any 10 minutes per app and mailbox (Graph's throttling limits).

One :class:`Mailbox` per mailbox for the process (a bounded number of them, the least
recently used dropped beyond :data:`MAILBOXES_KEPT`): its request-rate limiter (every
request inside a ``$batch`` counts) and its concurrency slots (a ``$batch`` takes as many
as Outlook runs of it at once).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from zdcal.http.pacing import Rate, RateLimiter

CONCURRENT_REQUESTS = 4
"""Outlook's limit of concurrent requests per app and mailbox."""
WINDOW_SECONDS = 600.0
MAILBOXES_KEPT = 1000
"""Mailboxes whose limits are held at once: memory stays bounded however many agents
connect; a dropped one was idle, and at worst Graph answers one 429, then retried."""


class Slots:
    """Counting slots where one holder may take several at once (a batch)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def hold(self, count: int = 1) -> AsyncIterator[None]:
        count = max(1, min(count, self.size))
        async with self._changed:
            await self._changed.wait_for(lambda: self._free >= count)
            self._free -= count
        try:
            yield
        finally:
            async with self._changed:
                self._free += count
                self._changed.notify_all()


class Mailbox:
    """One mailbox's limits."""

    def __init__(self, requests_per_window: int) -> None:
        self.limiter = RateLimiter((Rate(requests_per_window, WINDOW_SECONDS),))
        self.slots = Slots(CONCURRENT_REQUESTS)


class Mailboxes:
    """The process's mailboxes' limits, by mailbox key (bounded)."""

    def __init__(self, requests_per_window: int) -> None:
        self._rate = requests_per_window
        self._kept: OrderedDict[str, Mailbox] = OrderedDict()

    def get(self, key: str | None) -> Mailbox:
        """The mailbox ``key``'s limits; None (an account being linked): fresh ones, not
        kept."""
        if key is None:
            return Mailbox(self._rate)
        mailbox = self._kept.pop(key, None) or Mailbox(self._rate)
        self._kept[key] = mailbox
        while len(self._kept) > MAILBOXES_KEPT:
            self._kept.popitem(last=False)
        return mailbox
