"""The ``ics_feeds`` table: tokens kept as hashes, rotation, revocation, private mode and
the served version, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text

from zdcal.store import Store

from .conftest import ManualClock, add_account, add_agent

pytestmark = pytest.mark.anyio
USER = 501


async def test_a_token_opens_its_feed_and_only_its_hash_is_stored(store: Store) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        token = await tx.ics_feeds.issue(account_id, USER)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    async with store.transaction() as tx:
        feed = await tx.ics_feeds.find(token)
        stored = (await tx.session.execute(text("SELECT token_hash FROM ics_feeds"))).scalars()
        assert list(stored) == [hashlib.sha256(token.encode()).hexdigest()]
        assert await tx.ics_feeds.agents_with_feeds(account_id) == {USER}
    assert feed is not None
    assert (feed.account_id, feed.agent_id, feed.private) == (account_id, USER, True)


async def test_a_new_token_replaces_the_old_and_revoking_forgets_the_feed(store: Store) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        old = await tx.ics_feeds.issue(account_id, USER)
        assert await tx.ics_feeds.set_private(account_id, USER, False)
        new = await tx.ics_feeds.issue(account_id, USER)
    async with store.transaction() as tx:
        assert await tx.ics_feeds.find(old) is None
        kept = await tx.ics_feeds.find(new)
        assert kept is not None
        assert kept.private is False  # a new link keeps the feed's settings
        assert await tx.ics_feeds.revoke(account_id, USER)
        assert await tx.ics_feeds.find(new) is None
        assert not await tx.ics_feeds.revoke(account_id, USER)
        assert not await tx.ics_feeds.set_private(account_id, USER, True)


async def test_a_new_version_moves_changed_at_on_by_at_least_a_second(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        token = await tx.ics_feeds.issue(account_id, USER)
        feed = await tx.ics_feeds.find(token)
    assert feed is not None
    created = feed.changed_at
    assert created.microsecond == 0
    async with store.transaction() as tx:
        first = await tx.ics_feeds.note_content(feed, "a" * 64)
        same = await tx.ics_feeds.note_content(first, "a" * 64)
        # A stale reader noting the same version answers the recorded one.
        stale = await tx.ics_feeds.note_content(feed, "a" * 64)
        second = await tx.ics_feeds.note_content(first, "b" * 64)
    assert first.changed_at == created + timedelta(seconds=1)  # the clock did not move
    assert same == first
    assert stale.changed_at == first.changed_at
    assert second.changed_at == created + timedelta(seconds=2)
    clock.advance(seconds=90.5)
    async with store.transaction() as tx:
        third = await tx.ics_feeds.note_content(second, "c" * 64)
        found = await tx.ics_feeds.find(token)
    assert third.changed_at == (created + timedelta(seconds=90)).replace(microsecond=0)
    assert found == third


async def test_removing_the_agent_removes_the_feed(store: Store) -> None:
    account_id = await add_account(store)
    agent_row = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        token = await tx.ics_feeds.issue(account_id, USER)
        await tx.agents.remove(agent_row)
    async with store.transaction() as tx:
        assert await tx.ics_feeds.find(token) is None
