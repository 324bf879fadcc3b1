"""The calendar entries repository."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from zdcal.domain import RecordedEntry
from zdcal.store import CalendarEntry, Store

from .conftest import ManualClock, add_account, add_agent

pytestmark = pytest.mark.anyio

ANN, BOB = 361_000_000_001, 361_000_000_002


async def _account_with_agents(store: Store) -> int:
    account_id = await add_account(store)
    await add_agent(store, account_id, ANN, "Ann")
    await add_agent(store, account_id, BOB, "Bob")
    return account_id


async def test_entries_are_recorded_and_found(store: Store, clock: ManualClock) -> None:
    account_id = await _account_with_agents(store)
    async with store.transaction() as tx:
        await tx.entries.upsert(account_id, RecordedEntry(10, ANN, "cal_a", "k-10", "h1"))
        await tx.entries.upsert(account_id, RecordedEntry(11, ANN, "cal_a", "k-11", "h2"))
        # A reassignment whose old delete is still pending: two entries for ticket 10.
        await tx.entries.upsert(account_id, RecordedEntry(10, BOB, "cal_b", "k-10", "h3"))
        by_ticket = await tx.entries.for_tickets(account_id, [10, 404])
        by_agent = await tx.entries.for_agent(account_id, ANN)
    written = clock.now()
    assert by_ticket == [
        CalendarEntry(10, ANN, "cal_a", "k-10", "h1", written),
        CalendarEntry(10, BOB, "cal_b", "k-10", "h3", written),
    ]
    assert [(e.ticket_id, e.event_id) for e in by_agent] == [(10, "k-10"), (11, "k-11")]


async def test_a_rewrite_updates_the_entry_in_place(store: Store, clock: ManualClock) -> None:
    account_id = await _account_with_agents(store)
    async with store.transaction() as tx:
        await tx.entries.upsert(account_id, RecordedEntry(10, ANN, "cal_a", "k-10", "old"))
    clock.advance(minutes=3)
    async with store.transaction() as tx:
        await tx.entries.upsert(account_id, RecordedEntry(10, ANN, "cal_a", "k-10", "new"))
        entries = await tx.entries.for_tickets(account_id, [10])
    assert entries == [CalendarEntry(10, ANN, "cal_a", "k-10", "new", clock.now())]


async def test_entries_are_deleted_one_or_many(store: Store) -> None:
    account_id = await _account_with_agents(store)
    entries = [RecordedEntry(t, ANN, "cal_a", f"k-{t}", "h") for t in range(1, 6)]
    async with store.transaction() as tx:
        await tx.entries.upsert_many(account_id, entries)
        assert await tx.entries.delete(account_id, entries[0]) is True
        assert await tx.entries.delete(account_id, entries[0]) is False
        # A different calendar is a different entry: nothing to delete there.
        assert (
            await tx.entries.delete(account_id, RecordedEntry(2, ANN, "cal_x", "k-2", "h")) is False
        )
        assert await tx.entries.delete_many(account_id, entries[1:3]) == 2
        remaining = await tx.entries.for_agent(account_id, ANN)
    assert [e.ticket_id for e in remaining] == [4, 5]


async def test_thousands_of_entries_in_one_call(store: Store) -> None:
    account_id = await _account_with_agents(store)
    entries = [RecordedEntry(t, ANN, "cal_a", f"k-{t}", f"h{t}") for t in range(1, 3001)]
    async with store.transaction() as tx:
        await tx.entries.upsert_many(account_id, entries)
        found = await tx.entries.for_tickets(account_id, range(1, 3001))
        assert [(e.ticket_id, e.content_hash) for e in found] == [
            (e.ticket_id, e.content_hash) for e in entries
        ]
        assert await tx.entries.delete_many(account_id, entries) == 3000


async def test_entries_belong_to_a_known_agent(store: Store) -> None:
    account_id = await _account_with_agents(store)
    with pytest.raises(IntegrityError):
        async with store.transaction() as tx:
            await tx.entries.upsert(account_id, RecordedEntry(10, 999, "cal", "k-10", "h"))


async def test_ticket_ids_lists_each_ticket_with_an_entry_once(store: Store) -> None:
    account_id = await _account_with_agents(store)
    other = await add_account(store, "other")
    await add_agent(store, other, ANN, "Ann")
    async with store.transaction() as tx:
        await tx.entries.upsert(account_id, RecordedEntry(10, ANN, "cal_a", "k-10", "h1"))
        await tx.entries.upsert(account_id, RecordedEntry(10, BOB, "cal_b", "k-10", "h3"))
        await tx.entries.upsert(account_id, RecordedEntry(12, BOB, "cal_b", "k-12", "h4"))
        await tx.entries.upsert(other, RecordedEntry(99, ANN, "cal_a", "o-99", "h5"))
    async with store.transaction() as tx:
        assert await tx.entries.ticket_ids(account_id) == {10, 12}
        assert await tx.entries.ticket_ids(other) == {99}


async def test_an_entry_remembers_its_object_and_version(store: Store, clock: ManualClock) -> None:
    account_id = await _account_with_agents(store)
    entry = RecordedEntry(10, ANN, "cal_a", "k-10", "h1")
    async with store.transaction() as tx:
        await tx.entries.upsert(account_id, entry)
        await tx.entries.set_object(account_id, entry, "https://dav.example/cal_a/k-10.ics", '"e1"')
        # A rewrite of the content keeps the object until the writer says otherwise.
        await tx.entries.upsert(account_id, RecordedEntry(10, ANN, "cal_a", "k-10", "h2"))
        (found,) = await tx.entries.for_tickets(account_id, [10])
    assert (found.content_hash, found.object_href, found.object_etag) == (
        "h2", "https://dav.example/cal_a/k-10.ics", '"e1"'
    )


async def test_many_entries_remember_their_objects_at_once(store: Store) -> None:
    """``set_objects`` sets each entry's own object and nothing else: other entries, other
    accounts and places never recorded are untouched (one statement for all rows)."""
    account_id = await _account_with_agents(store)
    other = await add_account(store, subdomain="other")
    await add_agent(store, other, ANN, "Ann")
    entries = [RecordedEntry(t, ANN, "cal_a", f"k-{t}", "h") for t in range(1, 2001)]
    async with store.transaction() as tx:
        await tx.entries.upsert_many(account_id, entries)
        await tx.entries.upsert(other, entries[0])
        await tx.entries.set_objects(
            account_id,
            [(e, f"graph-{e.ticket_id}", f"ck-{e.ticket_id}") for e in entries[:1500]]
            + [(RecordedEntry(9999, ANN, "cal_a", "k-9999", "h"), "never", "never")],
        )
        found = await tx.entries.for_agent(account_id, ANN)
        (elsewhere,) = await tx.entries.for_agent(other, ANN)
    assert len(found) == 2000
    assert all((e.object_href, e.object_etag) == (f"graph-{e.ticket_id}", f"ck-{e.ticket_id}")
               for e in found[:1500])
    assert all((e.object_href, e.object_etag) == (None, None) for e in found[1500:])
    assert (elsewhere.object_href, elsewhere.object_etag) == (None, None)
