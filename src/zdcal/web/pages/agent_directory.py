"""The account's agents and admins as Zendesk lists them, for the admin page.

Read when the admin page is shown and kept a few minutes per account in this process,
rather than refreshed by every sweep: only this page needs the list, an account with
thousands of agents costs one request per hundred of them, and a sweep every few
seconds would spend that on nobody. Bounded at :data:`DIRECTORY_LIMIT` people.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from zdcal.live.services import Services
from zdcal.store import Account
from zdcal.zendesk.errors import ZendeskError

DIRECTORY_TTL = timedelta(minutes=5)
DIRECTORY_LIMIT = 10_000
READ_TIMEOUT = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffMember:
    """An agent or admin of the Zendesk account."""

    zendesk_user_id: int
    name: str
    email: str
    role: str  # "agent" or "admin"


@dataclass(frozen=True)
class StaffList:
    """The account's agents and admins as read at ``read_at`` (``problem``: not read)."""

    members: list[StaffMember]
    read_at: datetime | None
    incomplete: bool = False  # more than DIRECTORY_LIMIT people
    problem: str | None = None


class AgentDirectory:
    """Each account's staff list, read from Zendesk at most once per ``ttl``."""

    def __init__(self, ttl: timedelta = DIRECTORY_TTL, limit: int = DIRECTORY_LIMIT) -> None:
        self.ttl = ttl
        self.limit = limit
        self._lists: dict[int, StaffList] = {}
        self._reading: dict[int, asyncio.Lock] = {}

    async def staff(self, services: Services, account: Account) -> StaffList:
        """The account's agents and admins; a failed read is not kept (the next page
        view tries again) and shows the last good list, if any, with the problem."""
        now = services.clock.now()
        async with self._reading.setdefault(account.id, asyncio.Lock()):
            kept = self._lists.get(account.id)
            if kept is not None and kept.read_at is not None and now - kept.read_at < self.ttl:
                return kept
            client = services.runtime.zendesk_client(account, services.zendesk_http)
            try:
                users, incomplete = await asyncio.wait_for(
                    client.users_with_roles(("agent", "admin"), most=self.limit), READ_TIMEOUT
                )
            except (TimeoutError, ZendeskError) as exc:
                log.info("account %s: agents not listed (%s)", account.id, exc)
                problem = str(exc) or "Zendesk did not answer in time"
                return StaffList(kept.members if kept else [], kept.read_at if kept else None,
                                 problem=problem)
            members = [
                StaffMember(u.id, u.name or u.email or f"user {u.id}", u.email or "",
                            u.role or "agent")
                for u in users if u.id is not None and u.is_agent
            ]
            self._lists[account.id] = fresh = StaffList(members, now, incomplete)
            return fresh
