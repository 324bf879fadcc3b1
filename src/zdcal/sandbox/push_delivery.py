"""Push deliveries of the calendar simulators: real HTTP POSTs sent from background tasks,
so the API call that caused one answers at once, on one lazily opened client."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx


class BackgroundDeliveries:
    """The tasks and the HTTP client a simulator's push sender delivers with."""

    def __init__(self, timeout: float, limits: httpx.Limits | None = None) -> None:
        self.timeout = timeout
        self._limits = limits or httpx.Limits()
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    @property
    def pending(self) -> int:
        """Deliveries not finished yet."""
        return len(self._tasks)

    def _spawn(self, delivery: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(delivery)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=self._limits)
        return self._client

    async def aclose(self) -> None:
        """Stop pending deliveries and close the HTTP client (app shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
