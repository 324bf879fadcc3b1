"""Agents' calendar subscriptions (ICS feeds): who has one, its secret as a hash, and the
version of the feed last served.

The URL holds a random 256-bit token (``secrets.token_urlsafe(32)``); the table keeps its
SHA-256 only (as for web sessions: a 256-bit random secret needs no salt), so the URL is
shown once, when it is made, and never again. Issuing a token for an agent who has a feed
replaces it: the old URL stops working at once. Revoking deletes the row, so a revoked
token and one that never existed are looked up, and missed, the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.statements import execute_write
from zdcal.store.tables import IcsFeedRow

TOKEN_BYTES = 32  # 256 bits


def feed_token_hash(token: str) -> str:
    """What the table stores of a feed's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IcsFeed:
    """One agent's subscription; ``content_digest``/``changed_at`` version what it serves."""

    account_id: int
    agent_id: int  # Zendesk user id
    private: bool
    content_digest: str | None
    changed_at: datetime
    created_at: datetime


class IcsFeeds:
    """Reads and writes ``ics_feeds``. Does not commit: the caller owns the transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def for_agent(self, account_id: int, agent_id: int) -> IcsFeed | None:
        row = await self._session.get(IcsFeedRow, (account_id, agent_id))
        return None if row is None else _feed(row)

    async def agents_with_feeds(self, account_id: int) -> set[int]:
        """The Zendesk user ids of the account's agents who have a subscription."""
        rows = await self._session.scalars(
            select(IcsFeedRow.agent_id).where(IcsFeedRow.account_id == account_id)
        )
        return set(rows)

    async def find(self, token: str) -> IcsFeed | None:
        """The feed this token opens; ``None`` for a token never issued, replaced or revoked."""
        row = await self._session.scalar(
            select(IcsFeedRow).where(IcsFeedRow.token_hash == feed_token_hash(token))
        )
        return None if row is None else _feed(row)

    async def issue(self, account_id: int, agent_id: int) -> str:
        """A new token for the agent's feed, which is made (private) if they had none;
        an existing feed keeps its settings and its previous token stops working."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = await self._session.get(IcsFeedRow, (account_id, agent_id))
        if row is None:
            now = _whole_second(self._clock.now())
            self._session.add(IcsFeedRow(
                account_id=account_id, agent_id=agent_id, token_hash=feed_token_hash(token),
                private=True, content_digest=None, changed_at=now, created_at=now,
            ))
        else:
            row.token_hash = feed_token_hash(token)
        await self._session.flush()
        return token

    async def revoke(self, account_id: int, agent_id: int) -> bool:
        """Delete the agent's feed (its URL answers 404 from now on); ``False`` if none."""
        deleted = await execute_write(self._session, delete(IcsFeedRow).where(
            IcsFeedRow.account_id == account_id, IcsFeedRow.agent_id == agent_id))
        return deleted > 0

    async def set_private(self, account_id: int, agent_id: int, private: bool) -> bool:
        """Whether the feed's events hide the ticket's content; ``False`` if no feed."""
        changed = await execute_write(self._session, update(IcsFeedRow).where(
            IcsFeedRow.account_id == account_id, IcsFeedRow.agent_id == agent_id,
        ).values(private=private))
        return changed > 0

    async def note_content(self, feed: IcsFeed, digest: str) -> IcsFeed:
        """The feed as it is once it serves content with this digest: unchanged when the
        digest is the one noted, else the digest and a later ``changed_at``.

        ``changed_at`` is in whole seconds (``Last-Modified``'s precision) and always moves
        on by at least one, so that ``If-Modified-Since`` never matches a newer version.
        """
        if digest == feed.content_digest:
            return feed
        changed_at = max(_whole_second(self._clock.now()), feed.changed_at + timedelta(seconds=1))
        # Conditional: of two requests noting the same new version, the second changes
        # nothing and answers the first one's instant.
        changed = await execute_write(self._session, update(IcsFeedRow).where(
            IcsFeedRow.account_id == feed.account_id, IcsFeedRow.agent_id == feed.agent_id,
            IcsFeedRow.content_digest.is_distinct_from(digest),
        ).values(content_digest=digest, changed_at=changed_at))
        if not changed:
            return await self.for_agent(feed.account_id, feed.agent_id) or feed
        return IcsFeed(
            account_id=feed.account_id, agent_id=feed.agent_id, private=feed.private,
            content_digest=digest, changed_at=changed_at, created_at=feed.created_at,
        )


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _feed(row: IcsFeedRow) -> IcsFeed:
    return IcsFeed(
        account_id=row.account_id, agent_id=row.agent_id, private=row.private,
        content_digest=row.content_digest, changed_at=row.changed_at,
        created_at=row.created_at,
    )
