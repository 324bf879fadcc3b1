"""Bringing an account's calendars up to date by hand: a sync now (optionally with
verify), and an agent's resync asked for by an admin.

Bootstrap (webhook and trigger) is :func:`zdcal.live.bootstrap.bootstrap_account`, which
``zdcal bootstrap`` and the admin page's button (through the workers) both call.
"""

from __future__ import annotations

from zdcal.live.intake import NotificationIntake
from zdcal.live.locks import AccountLocks
from zdcal.runtime import Runtime
from zdcal.store import Account, Agent, Store
from zdcal.sync.report import SyncReport
from zdcal.usecases.errors import AgentNotFound
from zdcal.usecases.settings import AgentSyncRequests


async def sync_account_now(
    runtime: Runtime, locks: AccountLocks, account: Account, report: SyncReport, *,
    verify: bool, wait: float,
) -> None:
    """Read every change since the last sync and write it, retry the failed tickets whose
    time has come, then (``verify``) read the calendars back and repair drift.

    Holds the account (waiting up to ``wait`` seconds for another process, else
    :class:`zdcal.live.locks.AccountBusy`); ``report`` counts what was done.
    """
    async with locks.hold(account.id, wait=wait), runtime.sync_session(account, report) as sync:
        await sync.sweep()
        await sync.retry_failed()
        if verify:
            await sync.verify()


async def request_agent_resync(
    store: Store, account_id: int, agent_id: int | None, later: AgentSyncRequests
) -> Agent:
    """Have the workers rewrite one agent's events; the agent must be of ``account_id``
    (``None``, an id that could not be read, is no agent)."""
    async with store.transaction() as tx:
        agent = await tx.agents.get(agent_id) if agent_id is not None else None
    if agent is None or agent.account_id != account_id:
        raise AgentNotFound("no such agent in this account")
    later.request_agent_sync(account_id, agent.zendesk_user_id)
    return agent


async def request_ticket_resync(
    intake: NotificationIntake, account_id: int, ticket_id: int
) -> None:
    """Have the workers re-read one ticket from Zendesk and apply it, as its webhook
    would (asked for from the Zendesk app's sidebar)."""
    await intake.record(account_id, ticket_id)
