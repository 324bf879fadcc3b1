"""CalDAV as a :class:`zdcal.calendars.base.CalendarBackend`: agents connect with a
server URL, a username and an app password (no OAuth), and their calendars are polled
(no push). Every client is built here, one way (:meth:`CalDAVBackend.client`), on the
process's HTTP pool for CalDAV.
"""

from __future__ import annotations

import httpx

from zdcal.calendars.base import (
    AgentCalendar,
    CalendarInfo,
    Capabilities,
    Connection,
    EventIds,
    LinkedAccount,
)
from zdcal.calendars.caldav.backend import (
    WRITE_CONCURRENCY,
    CalDAVAgentCalendar,
    connection_error,
)
from zdcal.calendars.caldav.client import CalDAVClient
from zdcal.calendars.caldav.errors import CalDAVError
from zdcal.clock import Clock
from zdcal.domain.agent import MAX_REMINDERS
from zdcal.http.pacing import Pacer
from zdcal.store import Agent, CalDAVAccount

CAPABILITIES = Capabilities(
    batch_writes=False,
    batch_size=1,
    event_ids=EventIds.CLIENT,  # the object's UID and name are zdcal's event id
    push=False,
    changes_since=True,  # sync-collection (RFC 6578), else CTag + ETags
    all_day_events=True,
    max_reminders=MAX_REMINDERS,  # VALARMs
    private_events=True,  # CLASS:PRIVATE
    connection=Connection.CREDENTIALS,
    write_concurrency=WRITE_CONCURRENCY,
)

PRESETS: dict[str, str] = {
    "icloud": "https://caldav.icloud.com/",
    "fastmail": "https://caldav.fastmail.com/",
}
"""Providers whose CalDAV server is the same for everyone; Nextcloud's is the instance's
``<base>/remote.php/dav/`` (:func:`server_url`)."""
PROVIDERS = (*PRESETS, "nextcloud", "generic")


def server_url(provider: str, url: str | None) -> str:
    """Where to start discovery for a provider (``icloud``, ``fastmail``, ``nextcloud``
    with its base URL, ``generic`` with the server's URL). :class:`ValueError` when a
    URL is missing or not http(s)."""
    if provider in PRESETS:
        return PRESETS[provider]
    if provider not in PROVIDERS:
        raise ValueError(f"unknown CalDAV provider {provider!r}")
    if not url:
        raise ValueError(f"a {provider} server needs its URL")
    parsed = httpx.URL(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    text = str(parsed)
    if provider == "nextcloud" and "/remote.php/" not in text:
        text = text.rstrip("/") + "/remote.php/dav/"
    return text


class CalDAVBackend:
    """CalDAV clients sharing one HTTP pool (each agent's account is on its own server)."""

    name = "caldav"
    title = "CalDAV"
    capabilities = CAPABILITIES
    providers = PROVIDERS

    def __init__(
        self, *, http: httpx.AsyncClient, limiter: Pacer | None, clock: Clock
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._clock = clock

    def server_url(self, provider: str, url: str | None) -> str:
        return server_url(provider, url)

    def client(self, account: CalDAVAccount) -> CalDAVClient:
        return CalDAVClient(
            account.url, account.username, account.password,
            http=self._http, limiter=self._limiter, clock=self._clock,
        )  # fmt: skip

    def for_agent(self, agent: Agent) -> AgentCalendar:
        if agent.caldav is None:
            raise ValueError(f"agent {agent.id} holds no CalDAV account")
        return CalDAVAgentCalendar(
            self.client(agent.caldav), agent.caldav.url, clock=self._clock,
            time_zone=agent.effective_time_zone, read_state=agent.read_state,
            username=agent.caldav.username,
        )  # fmt: skip

    async def revoke(self, agent: Agent) -> None:
        """Nothing to withdraw: the app password is the agent's, revoked at their
        provider; zdcal forgets it when the agent disconnects."""

    async def link_credentials(
        self, server_url: str, username: str, password: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        client = CalDAVClient(
            server_url, username, password, http=self._http, limiter=self._limiter,
            clock=self._clock,
        )  # fmt: skip
        try:
            found = await client.discover()
        except CalDAVError as exc:
            raise connection_error(exc) from exc
        home = found.calendar_home_url
        account = CalDAVAccount(home, username, password)
        calendar = CalDAVAgentCalendar(
            self.client(account), home, clock=self._clock, time_zone="UTC", read_state=None,
            username=username,
        )  # fmt: skip
        return LinkedAccount(home, "", account), await calendar.calendars()
