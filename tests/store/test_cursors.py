"""The sync cursors repository."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zdcal.store import Store, SyncCursor

from .conftest import ManualClock, add_account

pytestmark = pytest.mark.anyio


async def test_a_cursor_is_stored_replaced_and_cleared(store: Store, clock: ManualClock) -> None:
    acme, other = await add_account(store, "acme"), await add_account(store, "other")
    began = clock.now() - timedelta(days=30)
    async with store.transaction() as tx:
        assert await tx.cursors.get(acme) is None
        await tx.cursors.set(acme, "MTU3NjYxMzUzOS4wfHw0Njd8", start_time=began)
    clock.advance(minutes=2)
    async with store.transaction() as tx:
        await tx.cursors.set(acme, "MTU3NjYxMzU0MC4wfHw0Njh8", start_time=began)
        assert await tx.cursors.get(acme) == SyncCursor(
            cursor="MTU3NjYxMzU0MC4wfHw0Njh8", start_time=began, stored_at=clock.now()
        )
        assert await tx.cursors.get(other) is None
        await tx.cursors.clear(acme)
        assert await tx.cursors.get(acme) is None
