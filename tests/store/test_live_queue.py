"""The webhook notification queue, the deliveries already accepted, and the per-account
work leases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zdcal.store import LeaseHolder, Store

from .conftest import ManualClock, add_account

pytestmark = pytest.mark.anyio


async def test_notifications_queue_deduplicates_tickets_and_forgets_done_rows(
    store: Store,
) -> None:
    acme = await add_account(store, "acme")
    other = await add_account(store, "other")
    async with store.transaction() as tx:
        await tx.notifications.add_many([(acme, 7), (acme, 8), (acme, 7), (acme, 9), (other, 7)])
    async with store.transaction() as tx:
        assert await tx.notifications.accounts_waiting() == sorted([acme, other])
        assert await tx.notifications.depth() == 5
        batch = await tx.notifications.take(acme, limit=2)
    assert batch.ticket_ids == [7, 8]  # 7 once, for both of its rows
    async with store.transaction() as tx:
        await tx.notifications.add_many([(acme, 7)])  # notified again after the take
        await tx.notifications.done(batch)
        rest = await tx.notifications.take(acme)
    assert rest.ticket_ids == [9, 7]
    async with store.transaction() as tx:
        await tx.notifications.done(rest)
        assert await tx.notifications.accounts_waiting() == [other]


async def test_a_delivery_key_is_claimed_once_across_transactions_and_accounts(
    store: Store, clock: ManualClock
) -> None:
    acme = await add_account(store, "acme")
    other = await add_account(store, "other")
    key = "i:01HANA2B5D5W9XSJS3NE5SQA1J"
    async with store.transaction() as tx:
        claimed = await tx.deliveries.claim([(acme, key), (acme, "c:ab"), (acme, key)])
    assert claimed == {(acme, key), (acme, "c:ab")}
    async with store.transaction() as tx:
        again = await tx.deliveries.claim([(acme, key), (other, key), (acme, "c:cd")])
    assert again == {(other, key), (acme, "c:cd")}
    clock.advance(minutes=11)
    async with store.transaction() as tx:
        await tx.deliveries.claim([(acme, "c:new")])
        assert await tx.deliveries.forget_before(clock.now() - timedelta(minutes=10)) == 4
        assert await tx.deliveries.claim([(acme, key), (acme, "c:new")]) == {(acme, key)}


async def test_a_lease_has_one_holder_until_released_or_expired(
    store: Store, clock: ManualClock
) -> None:
    acme = await add_account(store, "acme")
    a, b = LeaseHolder("worker-a"), LeaseHolder("worker-b")
    period = timedelta(seconds=30)
    async with store.transaction() as tx:
        assert await tx.leases.take(acme, a, period)
    async with store.transaction() as tx:
        assert not await tx.leases.take(acme, b, period)
        assert await tx.leases.take(acme, a, period)  # renewal
    clock.advance(seconds=31)
    async with store.transaction() as tx:
        assert await tx.leases.take(acme, b, period)  # a's lease ran out
    async with store.transaction() as tx:
        await tx.leases.release(acme, "worker-a")  # not a's any more: no effect
        assert not await tx.leases.take(acme, a, period)
        await tx.leases.release(acme, "worker-b")
        assert await tx.leases.take(acme, a, period)


async def test_a_lease_is_taken_from_a_holder_known_gone_only_while_it_holds_it(
    store: Store,
) -> None:
    acme = await add_account(store, "acme")
    crashed = LeaseHolder("crashed", "boot/pid:[1]", 4321, 99)
    period = timedelta(seconds=30)
    async with store.transaction() as tx:
        assert await tx.leases.take(acme, crashed, period)
        assert await tx.leases.holder(acme) == crashed
    async with store.transaction() as tx:
        assert not await tx.leases.take(acme, LeaseHolder("b"), period, replacing="someone")
        assert await tx.leases.take(acme, LeaseHolder("b"), period, replacing="crashed")
    async with store.transaction() as tx:
        # A second process that also saw "crashed" gone comes too late: b holds it now.
        assert not await tx.leases.take(acme, LeaseHolder("c"), period, replacing="crashed")
        assert await tx.leases.holder(acme) == LeaseHolder("b")
        assert not await tx.leases.take(acme, crashed, period)


async def test_a_calendar_notification_during_a_read_is_not_lost(
    store: Store, clock: ManualClock
) -> None:
    acme = await add_account(store, "acme")
    async with store.transaction() as tx:
        await tx.calendar_reads.add(acme, 1002)
    async with store.transaction() as tx:
        ((_, agent, started_from),) = await tx.calendar_reads.waiting()
    assert agent == 1002
    clock.advance(seconds=1)
    async with store.transaction() as tx:
        await tx.calendar_reads.add(acme, 1002)  # arrives while the read is under way
        await tx.calendar_reads.done(acme, 1002, started_from)  # that read ends
        ((_, _, newer),) = await tx.calendar_reads.waiting()
    assert newer > started_from
    async with store.transaction() as tx:
        await tx.calendar_reads.done(acme, 1002, newer)
        assert await tx.calendar_reads.waiting() == []
