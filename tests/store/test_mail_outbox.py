"""The mail outbox: one reconnect mail per breakage (even when transactions race), one
summary per account and day, claims that two servers never share, backoff on failure."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from zdcal.store import AgentStatus, MailKind, MailStatus, Store

from .conftest import ManualClock, add_account, add_agent

pytestmark = pytest.mark.anyio

USER = 361_234_567_890


async def _outbox(store: Store, account_id: int) -> list[tuple[MailKind, MailStatus]]:
    async with store.transaction() as tx:
        return [(m.kind, s) for m, s in await tx.mail.for_account(account_id)]


async def test_a_breakage_queues_one_mail_until_the_agent_reconnects(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    for _ in range(2):
        async with store.transaction() as tx:
            await tx.agents.set_status(agent_id, AgentStatus.NEEDS_RECONNECT, "revoked")
    assert await _outbox(store, account_id) == [(MailKind.RECONNECT, MailStatus.PENDING)]
    clock.advance(minutes=5)
    async with store.transaction() as tx:
        await tx.agents.set_status(agent_id, AgentStatus.ACTIVE, None)
        await tx.agents.set_status(agent_id, AgentStatus.NEEDS_RECONNECT, "locked")
    assert len(await _outbox(store, account_id)) == 2


async def test_racing_transactions_queue_one_mail(store: Store) -> None:
    account_id = await add_account(store)
    agent_id = await add_agent(store, account_id, USER)
    async with store.transaction() as tx:
        await tx.agents.set_status(agent_id, AgentStatus.ACTIVE, None)

    async def mark() -> None:
        async with store.transaction() as tx:
            await tx.agents.set_status(agent_id, AgentStatus.NEEDS_RECONNECT, "revoked")

    await asyncio.gather(*(mark() for _ in range(4)))
    assert await _outbox(store, account_id) == [(MailKind.RECONNECT, MailStatus.PENDING)]


async def test_one_summary_per_day_and_claims_are_exclusive(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    day = date(2026, 3, 8)
    async with store.transaction() as tx:
        assert await tx.mail.add_summary(account_id, day)
        assert not await tx.mail.add_summary(account_id, day)
        assert await tx.mail.has_summary(account_id, day)
        assert not await tx.mail.has_summary(account_id, day + timedelta(days=1))
    async with store.transaction() as tx:
        (claimed,) = await tx.mail.claim_due(timedelta(minutes=5))
    async with store.transaction() as tx:
        assert await tx.mail.claim_due(timedelta(minutes=5)) == []  # held by the first
    async with store.transaction() as tx:
        retry_at = await tx.mail.failed(claimed.id, "ConnectionRefusedError")
    assert retry_at == clock.now() + timedelta(minutes=1)
    clock.advance(minutes=1)
    async with store.transaction() as tx:
        (again,) = await tx.mail.claim_due(timedelta(minutes=5))
        assert again.attempts == 1
        await tx.mail.sent(again.id)
    clock.advance(days=31)
    async with store.transaction() as tx:
        assert await tx.mail.prune(timedelta(days=30)) == 1
