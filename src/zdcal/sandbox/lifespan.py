"""The simulators' app lifespan: nothing to start, and on shutdown the clients they hold
(push senders, batch inner clients) closed, so no connection outlives the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette


def closing_lifespan(
    *closers: Callable[[], Awaitable[None]],
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A Starlette ``lifespan`` awaiting each of ``closers`` in turn when the app stops."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        for close in closers:
            await close()

    return lifespan
