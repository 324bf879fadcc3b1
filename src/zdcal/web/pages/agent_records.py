"""What the pages read about one agent: their row, their events and their failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zdcal.live.services import Services
from zdcal.store import Account, Agent, FailedTicket
from zdcal.web.pages.errors import AccountUnknown, NotSignedIn
from zdcal.web.pages.identity import SignedIn


@dataclass(frozen=True)
class AgentOverview:
    """One agent as their page (and the admin page) shows them."""

    account: Account
    agent: Agent
    events: int
    last_update: datetime | None
    failures: list[FailedTicket]


async def signed_in_agent(services: Services, user: SignedIn) -> tuple[Account, Agent]:
    """The account and agent row of the session; the row must belong to that account."""
    async with services.store.transaction() as tx:
        account = await tx.accounts.get(user.account_id)
        agent = await tx.agents.get(user.agent_id)
    if account is None:
        raise AccountUnknown("Your Zendesk account was disconnected from zdcal.")
    if (
        agent is None
        or agent.account_id != account.id
        or agent.zendesk_user_id != user.zendesk_user_id
    ):
        raise NotSignedIn("Your sign-in no longer matches an agent here. Sign in again.")
    return account, agent


async def overview(services: Services, account: Account, agent: Agent) -> AgentOverview:
    """Counts and latest news for an agent, read in one transaction."""
    async with services.store.transaction() as tx:
        entries = await tx.entries.for_agent(account.id, agent.zendesk_user_id)
        failures = [
            f for f in await tx.failures.for_account(account.id)
            if f.agent_id == agent.zendesk_user_id
        ]
    written = [e.written_at for e in entries]
    candidates = [t for t in (*written, agent.last_synced_at) if t is not None]
    return AgentOverview(
        account=account,
        agent=agent,
        events=len(entries),
        last_update=max(candidates) if candidates else None,
        failures=failures,
    )
