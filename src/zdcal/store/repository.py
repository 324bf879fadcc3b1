"""What every store repository holds: the caller's session and the store's clock."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock


class Repository:
    """Reads and writes within the caller's session. Does not commit: the caller owns
    the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock
