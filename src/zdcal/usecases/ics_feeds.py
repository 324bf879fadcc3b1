"""An agent's calendar subscription (ICS feed): make its secret link, make a new one
(the old stops working), choose whether its events are private, revoke it; and serve it.

Serving reads, in one transaction, the feed the token opens, its agent and account, and
the agent's open tasks from the ticket mirror; the events are the domain's desired
entries (see :mod:`zdcal.calendars.ics.feed` for why the feed is an add-on beside the
agent's writing backend). When the events differ from the version last served, the new
version (digest, instant) is recorded in a second short transaction; the caller answers
``304`` or renders. Nothing here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zdcal.calendars.ics.feed import feed_digest, feed_entries, feed_target
from zdcal.domain import DesiredEntry
from zdcal.store import Account, Agent, IcsFeed, Store
from zdcal.sync.due_dates import account_info
from zdcal.sync.tickets import rule_input


@dataclass(frozen=True)
class ServedFeed:
    """The feed's current version and its events (rendered only when needed)."""

    digest: str
    changed_at: datetime
    """When this version was first served: ``Last-Modified`` and every ``DTSTAMP``."""
    entries: list[DesiredEntry]


async def subscription_of(store: Store, account: Account, agent: Agent) -> IcsFeed | None:
    """The agent's subscription, if they made one."""
    async with store.transaction() as tx:
        return await tx.ics_feeds.for_agent(account.id, agent.zendesk_user_id)


async def new_link(store: Store, account: Account, agent: Agent) -> str:
    """A new secret token for the agent's feed (made, private, if they had none); any
    previous link stops working. The token is answered once and never stored."""
    async with store.transaction() as tx:
        return await tx.ics_feeds.issue(account.id, agent.zendesk_user_id)


async def revoke(store: Store, account: Account, agent: Agent) -> bool:
    """Delete the agent's feed: its link answers 404 from now on. ``False`` if none."""
    async with store.transaction() as tx:
        return await tx.ics_feeds.revoke(account.id, agent.zendesk_user_id)


async def set_private(store: Store, account: Account, agent: Agent, private: bool) -> bool:
    """Whether the feed's events say only "Zendesk task #<id>". ``False`` if no feed."""
    async with store.transaction() as tx:
        return await tx.ics_feeds.set_private(account.id, agent.zendesk_user_id, private)


async def served_feed(store: Store, token: str) -> ServedFeed | None:
    """The feed the token opens, as it is now; ``None`` for any token that opens none
    (never issued, replaced or revoked: the caller cannot tell them apart)."""
    async with store.transaction() as tx:
        feed = await tx.ics_feeds.find(token)
        if feed is None:
            return None
        agent = await tx.agents.get_by_user(feed.account_id, feed.agent_id)
        account = await tx.accounts.get(feed.account_id)
        if agent is None or account is None:  # the cascade removes feeds with them
            return None
        tasks = await tx.tickets.open_tasks_for_assignee(account.id, agent.zendesk_user_id)
    target = feed_target(
        agent.zendesk_user_id, agent.effective_time_zone,
        agent.style or account.default_style or {}, private=feed.private,
    )
    entries = feed_entries(account_info(account), [rule_input(t) for t in tasks], target)
    digest = feed_digest(entries)
    if digest != feed.content_digest:
        async with store.transaction() as tx:
            feed = await tx.ics_feeds.note_content(feed, digest)
    return ServedFeed(digest=digest, changed_at=feed.changed_at, entries=entries)
