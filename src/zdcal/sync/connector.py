"""Opening an agent's calendar: tokens from the store in, rotated tokens back to it."""

from __future__ import annotations

from typing import Protocol

import httpx

from zdcal.calendars.base import AgentCalendar
from zdcal.calendars.cronofy import CronofyClient, CronofyTokens
from zdcal.calendars.cronofy import oauth as cronofy_oauth
from zdcal.calendars.cronofy.backend import CronofyAgentCalendar
from zdcal.clock import Clock
from zdcal.http.pacing import RateLimiter
from zdcal.store import Agent, Store
from zdcal.sync.token_refresh import AgentTokenRefresh


class CalendarConnector(Protocol):
    """Gives the engine a calendar for an agent that holds tokens."""

    def for_agent(self, agent: Agent) -> AgentCalendar: ...

    async def revoke(self, agent: Agent) -> None:
        """Withdraw zdcal's authorization to the agent's calendar account."""
        ...

    async def ensure_channel(self, agent: Agent, callback_url: str) -> str:
        """A push channel for our events to ``callback_url``: the existing one, or a new
        one. Returns its id."""
        ...

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        """Close the agent's channels to ``callback_url`` (no error when there are none)."""
        ...


class CronofyConnector:
    """Cronofy clients sharing one HTTP pool and one application-wide rate limiter."""

    def __init__(
        self,
        store: Store,
        *,
        api_base_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        limiter: RateLimiter | None,
        clock: Clock,
    ) -> None:
        self._store = store
        self._api_base_url = api_base_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._limiter = limiter
        self._clock = clock

    def client_for(self, agent: Agent) -> CronofyClient:
        """A Cronofy client for the agent whose refreshes are coordinated through the store."""
        if agent.tokens is None:
            raise ValueError(f"agent {agent.id} holds no calendar tokens")
        tokens = CronofyTokens(
            access_token=agent.tokens.access_token,
            refresh_token=agent.tokens.refresh_token,
            expires_at=agent.tokens.expires_at,
        )

        # Refreshes go through the store: one per agent at a time across processes, and
        # whatever refresh token Cronofy answers is stored before anyone uses it again.
        return CronofyClient(
            self._api_base_url,
            tokens,
            client_id=self._client_id,
            client_secret=self._client_secret,
            coordinate_refresh=AgentTokenRefresh(self._store, agent.id),
            http=self._http,
            limiter=self._limiter,
            clock=self._clock,
        )

    def for_agent(self, agent: Agent) -> AgentCalendar:
        return CronofyAgentCalendar(self.client_for(agent))

    async def ensure_channel(self, agent: Agent, callback_url: str) -> str:
        client = self.client_for(agent)
        for channel in await client.list_channels():
            if channel.callback_url == callback_url:
                return channel.channel_id
        return (await client.create_channel(callback_url, only_managed=True)).channel_id

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        client = self.client_for(agent)
        for channel in await client.list_channels():
            if channel.callback_url == callback_url:
                await client.close_channel(channel.channel_id)

    async def revoke(self, agent: Agent) -> None:
        if agent.tokens is None:
            return
        await cronofy_oauth.revoke(
            self._http,
            self._api_base_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            token=agent.tokens.refresh_token,
        )
