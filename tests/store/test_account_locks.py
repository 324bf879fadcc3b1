"""Per-account locks across processes: a holder whose process is gone is taken over at
once on its machine, and a holder that loses its lease stops its work."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from zdcal.live.locks import AccountBusy, AccountLocks, LeaseLost
from zdcal.live.processes import ProcessIdentity, identity_of, this_process
from zdcal.store import LeaseHolder, Store, create_engine

from .conftest import ManualClock, add_account

pytestmark = pytest.mark.anyio

MINUTE = timedelta(minutes=1)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """Another process of this machine, stopped at the end if the test did not."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def held_by(name: str, process: ProcessIdentity) -> LeaseHolder:
    return LeaseHolder(name, process.view, process.pid, process.started)


async def lease_taken_by(store: Store, account_id: int, holder: LeaseHolder) -> None:
    async with store.transaction() as tx:
        assert await tx.leases.take(account_id, holder, MINUTE)


async def test_a_holder_whose_process_is_gone_is_taken_over_at_once(
    store: Store, other_process: subprocess.Popen[bytes]
) -> None:
    acme = await add_account(store)
    process = identity_of(other_process.pid)
    assert process is not None
    await lease_taken_by(store, acme, held_by("crashed", process))
    locks = AccountLocks(store)

    with pytest.raises(AccountBusy):  # alive: its lease holds
        async with locks.hold(acme):
            pass

    other_process.kill()
    other_process.wait()  # reaped: the pid is free
    async with locks.hold(acme), store.transaction() as tx:
        assert await tx.leases.holder(acme) == locks.holder


async def test_a_holder_whose_pid_now_names_another_process_is_taken_over(
    store: Store,
) -> None:
    acme = await add_account(store)
    me = this_process()
    assert me is not None
    # A process that ran under this very pid before this one started.
    earlier = dataclasses.replace(me, started=me.started - 1)
    await lease_taken_by(store, acme, held_by("crashed", earlier))

    async with AccountLocks(store).hold(acme):
        pass


async def test_a_holder_elsewhere_is_waited_for_even_with_a_free_pid(
    store: Store, other_process: subprocess.Popen[bytes]
) -> None:
    acme = await add_account(store)
    process = identity_of(other_process.pid)
    assert process is not None
    other_process.kill()
    other_process.wait()
    # The same pid on another machine (or in another container) says nothing about it.
    elsewhere = dataclasses.replace(process, view="another-boot/pid:[4026531836]")
    await lease_taken_by(store, acme, held_by("elsewhere", elsewhere))

    with pytest.raises(AccountBusy):
        async with AccountLocks(store).hold(acme):
            pass


async def test_work_stops_when_the_lease_is_taken_over(
    store: Store, clock: ManualClock
) -> None:
    acme = await add_account(store)
    locks = AccountLocks(store, period=timedelta(seconds=1))  # renewed every 0.2 s
    finished = False

    async def work() -> None:
        nonlocal finished
        async with locks.hold(acme):
            await asyncio.sleep(0.5)  # renewals keep it meanwhile
            # This process stalled past its lease, and another one took it over.
            clock.advance(seconds=2)
            await lease_taken_by(store, acme, LeaseHolder("successor"))
            await asyncio.sleep(5)
            finished = True

    with pytest.raises(LeaseLost):
        await work()

    assert not finished
    async with store.transaction() as tx:  # the successor's lease is left alone
        assert await tx.leases.holder(acme) == LeaseHolder("successor")


async def test_work_stops_when_the_lease_cannot_be_renewed_in_time(
    store: Store, database_url: str
) -> None:
    acme = await add_account(store)
    locks = AccountLocks(store, period=timedelta(seconds=1))
    blocker = create_engine(database_url)

    async def work() -> None:
        async with locks.hold(acme), blocker.begin() as connection:
            # Another connection holds the lease row (and, on SQLite, the write lock).
            await connection.execute(
                text("UPDATE account_leases SET holder = holder WHERE account_id = :id"),
                {"id": acme},
            )
            await asyncio.sleep(3)

    try:
        with pytest.raises(LeaseLost):
            await work()
    finally:
        await blocker.dispose()
