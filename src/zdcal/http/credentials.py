"""A credential that refreshes itself at most once per staleness, however many callers ask.

Both Zendesk and Cronofy rotate refresh tokens: using one invalidates it. When several
concurrent requests see a 401 together, only the first may refresh; the others must
reuse its result, or the second refresh would present a dead refresh token.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Credential = TypeVar("Credential")

TokensCallback = Callable[[Credential], Awaitable[None] | None]


class RefreshingCredential(Generic[Credential]):
    """Holds the current credential and swaps it for a refreshed one under a lock."""

    def __init__(
        self,
        current: Credential,
        refresh: Callable[[Credential], Awaitable[Credential]],
        on_refreshed: Callable[[Credential], Awaitable[None] | None] | None = None,
    ) -> None:
        self._current = current
        self._refresh = refresh
        self._on_refreshed = on_refreshed
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Credential:
        return self._current

    async def refresh(self, stale: Credential) -> Credential:
        """Replace ``stale`` with a fresh credential; a no-op if someone already did.

        ``on_refreshed`` runs (and is awaited, if async) before any waiter proceeds, so the
        rotated refresh token is stored before it can be used again.
        """
        async with self._lock:
            if self._current is not stale:
                return self._current
            fresh = await self._refresh(stale)
            self._current = fresh
            if self._on_refreshed is not None:
                outcome = self._on_refreshed(fresh)
                if inspect.isawaitable(outcome):
                    await outcome
            return fresh
