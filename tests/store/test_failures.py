"""The failed tickets repository and its retry back-off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zdcal.store import FailedTicket, RetryBackoff, Store

from .conftest import ManualClock, add_account

pytestmark = pytest.mark.anyio


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = RetryBackoff(first=timedelta(minutes=1), longest=timedelta(hours=1))
    assert [backoff.delay(n) for n in (1, 2, 3, 7, 8, 1000)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=60),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


async def test_repeated_failures_count_and_back_off(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    first = clock.now()
    async with store.transaction() as tx:
        recorded = await tx.failures.record(account_id, 42, "summary is too long", agent_id=7)
    assert recorded == FailedTicket(
        ticket_id=42,
        agent_id=7,
        reason="summary is too long",
        attempts=1,
        first_failed_at=first,
        last_failed_at=first,
        next_retry_at=first + timedelta(minutes=1),
    )
    clock.advance(minutes=1)
    async with store.transaction() as tx:
        again = await tx.failures.record(account_id, 42, "calendar is read-only")
    assert again == FailedTicket(
        ticket_id=42,
        agent_id=None,
        reason="calendar is read-only",
        attempts=2,
        first_failed_at=first,
        last_failed_at=clock.now(),
        next_retry_at=clock.now() + timedelta(minutes=2),
    )


async def test_due_tickets_come_in_retry_order(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    other = await add_account(store, "other")
    async with store.transaction() as tx:
        await tx.failures.record(account_id, 1, "a")
        clock.advance(seconds=10)
        await tx.failures.record(account_id, 2, "b")
        await tx.failures.record(account_id, 2, "b")  # second failure: retried later
        await tx.failures.record(other, 3, "c")
        assert await tx.failures.due(account_id) == []
        clock.advance(minutes=1)
        assert [f.ticket_id for f in await tx.failures.due(account_id)] == [1]
        clock.advance(minutes=2)
        assert [f.ticket_id for f in await tx.failures.due(account_id)] == [1, 2]
        assert [f.ticket_id for f in await tx.failures.due(account_id, limit=1)] == [1]


async def test_failures_are_listed_and_cleared(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    async with store.transaction() as tx:
        for ticket_id in (5, 6, 7):
            await tx.failures.record(account_id, ticket_id, "x" * 800)
            clock.advance(seconds=1)
        listed = await tx.failures.for_account(account_id)
        assert [f.ticket_id for f in listed] == [7, 6, 5]  # most recent first
        assert all(len(f.reason) == 500 for f in listed)
        assert await tx.failures.count(account_id) == 3
        assert await tx.failures.clear(account_id, [5, 7, 404]) == 2
        assert [f.ticket_id for f in await tx.failures.for_account(account_id)] == [6]
        # A cleared ticket starts counting again from one.
        assert (await tx.failures.record(account_id, 5, "again")).attempts == 1
