"""What the pages read about one agent: their row, their events, their failures and the
tasks kept off their calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zdcal.calendars.backend_words import served_by
from zdcal.domain import TwoWayChoice, agent_link, describe_two_way, two_way_in_effect
from zdcal.live.services import Services
from zdcal.store import Account, Agent, FailedTicket
from zdcal.sync.due_dates import account_info
from zdcal.web.pages.errors import AccountUnknown, NotSignedIn
from zdcal.web.pages.identity import SignedIn


@dataclass(frozen=True)
class KeptOffTask:
    """A task the agent deleted from their calendar, kept off it until its basis changes."""

    ticket_id: int
    link: str  # the ticket in Zendesk's agent interface
    since: datetime


@dataclass(frozen=True)
class AgentOverview:
    """One agent as their page (and the admin page) shows them."""

    account: Account
    agent: Agent
    events: int
    last_update: datetime | None
    failures: list[FailedTicket]
    kept_off: list[KeptOffTask]
    subscribed: bool = False
    """Whether the agent has a calendar subscription (ICS feed)."""

    @property
    def served_by(self) -> str:
        """Which backend serves the agent, in plain words."""
        return served_by(self.agent, self.subscribed)

    @property
    def two_way_choice(self) -> TwoWayChoice:
        """The agent's own two-way setting (``DEFAULT``: the account decides)."""
        return TwoWayChoice.of(self.agent.two_way)

    @property
    def two_way_on(self) -> bool:
        """Whether this agent's calendar changes update Zendesk now."""
        return two_way_in_effect(self.agent.two_way, self.account.two_way_default)

    @property
    def two_way_text(self) -> str:
        return describe_two_way(self.agent.two_way, self.account.two_way_default)


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
        suppressed = await tx.suppressions.for_agent(account.id, agent.zendesk_user_id)
        feed = await tx.ics_feeds.for_agent(account.id, agent.zendesk_user_id)
    info = account_info(account)
    written = [e.written_at for e in entries]
    candidates = [t for t in (*written, agent.last_synced_at) if t is not None]
    return AgentOverview(
        account=account,
        agent=agent,
        events=len(entries),
        last_update=max(candidates) if candidates else None,
        failures=failures,
        kept_off=[
            KeptOffTask(s.ticket_id, agent_link(info, s.ticket_id), s.suppressed_at)
            for s in suppressed
        ],
        subscribed=feed is not None,
    )
