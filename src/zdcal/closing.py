"""``async with`` for whatever holds connections and lets them go in ``aclose``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncClosing:
    """Entering answers the object itself; leaving, however it happens, awaits ``aclose``."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
