"""Cronofy as a :class:`zdcal.calendars.base.CalendarBackend`: agents' calendars, OAuth
linking, push channels and push notices, every Cronofy failure mapped to a neutral one.

Every client is built here, one way (:meth:`CronofyBackend._client`): on the process's
HTTP pool and the application-wide budget, refreshing through the store's coordinator
when the agent's tokens are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import httpx

from zdcal.calendars.base import (
    NO_QUERY,
    AgentCalendar,
    CalendarAuthorizationExpired,
    CalendarAuthorizationLost,
    CalendarInfo,
    CalendarRateLimited,
    CalendarRefreshBusy,
    CalendarRejected,
    Capabilities,
    EventIds,
    LinkedAccount,
    PushChannel,
    PushNotice,
    TokenCoordinator,
)
from zdcal.calendars.cronofy import oauth as cronofy_oauth
from zdcal.calendars.cronofy.backend import CronofyAgentCalendar, connection_error
from zdcal.calendars.cronofy.client import BATCH_LIMIT, CronofyClient
from zdcal.calendars.cronofy.errors import (
    CronofyError,
    Invalid,
    RateLimited,
    TokenRefreshBusy,
    TokenRefreshFailed,
    Unauthorized,
)
from zdcal.calendars.cronofy.models import CronofyTokens
from zdcal.calendars.cronofy.push import read_notification
from zdcal.calendars.cronofy.transport import RefreshAtCronofy, RefreshCoordinator
from zdcal.clock import Clock
from zdcal.domain.agent import MAX_REMINDERS
from zdcal.http.pacing import Pacer
from zdcal.store import Agent, CalendarTokens

CAPABILITIES = Capabilities(
    batch_writes=True,
    batch_size=BATCH_LIMIT,
    event_ids=EventIds.CLIENT,
    push=True,
    changes_since=True,
    all_day_events=True,
    max_reminders=MAX_REMINDERS,
    private_events=True,
)


def _cronofy_tokens(tokens: CalendarTokens) -> CronofyTokens:
    return CronofyTokens(tokens.access_token, tokens.refresh_token, tokens.expires_at)


def _stored_tokens(tokens: CronofyTokens) -> CalendarTokens:
    return CalendarTokens(tokens.access_token, tokens.refresh_token, tokens.expires_at)


def _cronofy_refresh(coordinate: TokenCoordinator) -> RefreshCoordinator:
    """The neutral coordinator in the transport's terms: Cronofy's refusals cross it as
    :class:`CalendarAuthorizationExpired` and come back as what the transport expects."""

    async def coordinated(stale: CronofyTokens, refresh: RefreshAtCronofy) -> CronofyTokens:
        async def at_cronofy(tokens: CalendarTokens) -> CalendarTokens:
            try:
                return _stored_tokens(await refresh(_cronofy_tokens(tokens)))
            except TokenRefreshFailed as exc:
                raise CalendarAuthorizationExpired(str(exc)) from exc

        try:
            return _cronofy_tokens(await coordinate(_stored_tokens(stale), at_cronofy))
        except CalendarAuthorizationExpired as exc:
            if isinstance(exc.__cause__, TokenRefreshFailed):
                raise exc.__cause__ from None
            raise TokenRefreshFailed(str(exc)) from exc
        except CalendarRefreshBusy as exc:
            raise TokenRefreshBusy(str(exc)) from exc

    return coordinated


def neutral_error(exc: CronofyError) -> Exception:
    """A Cronofy failure outside writes and reads (OAuth, channels), in neutral terms."""
    if isinstance(exc, TokenRefreshFailed):
        return CalendarAuthorizationExpired(str(exc))
    if isinstance(exc, RateLimited):
        return CalendarRateLimited(str(exc))
    if isinstance(exc, Invalid):
        return CalendarRejected(str(exc))
    return connection_error(exc)


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except CronofyError as exc:
        raise neutral_error(exc) from exc


class CronofyBackend:
    """Cronofy clients sharing one HTTP pool and one application-wide budget."""

    name = "cronofy"
    title = "Cronofy"
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        api_base_url: str,
        app_base_url: str,
        data_center: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        limiter: Pacer | None,
        clock: Clock,
        coordinate_refresh: Callable[[int], TokenCoordinator] | None = None,
    ) -> None:
        self._api_base_url = api_base_url
        self._app_base_url = app_base_url
        self._data_center = data_center
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._limiter = limiter
        self._clock = clock
        self._coordinate_refresh = coordinate_refresh

    def _client(
        self, tokens: CronofyTokens, coordinate: TokenCoordinator | None = None
    ) -> CronofyClient:
        return CronofyClient(
            self._api_base_url,
            tokens,
            client_id=self._client_id,
            client_secret=self._client_secret,
            coordinate_refresh=_cronofy_refresh(coordinate) if coordinate else None,
            http=self._http,
            limiter=self._limiter,
            clock=self._clock,
        )

    def client_for(self, agent: Agent) -> CronofyClient:
        """A Cronofy client for the agent whose refreshes are coordinated through the store."""
        if agent.tokens is None:
            raise ValueError(f"agent {agent.id} holds no calendar tokens")
        # Refreshes go through the store: one per agent at a time across processes, and
        # whatever refresh token Cronofy answers is stored before anyone uses it again.
        coordinate = self._coordinate_refresh(agent.id) if self._coordinate_refresh else None
        return self._client(_cronofy_tokens(agent.tokens), coordinate)

    def for_agent(self, agent: Agent) -> AgentCalendar:
        return CronofyAgentCalendar(self.client_for(agent))

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel:
        # Cronofy lists an account's channels and they do not expire: find ours by URL.
        client = self.client_for(agent)
        with _mapped():
            for channel in await client.list_channels():
                if channel.callback_url == callback_url:
                    return PushChannel(channel.channel_id)
            created = await client.create_channel(callback_url, only_managed=True)
            return PushChannel(created.channel_id)

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        client = self.client_for(agent)
        with _mapped():
            for channel in await client.list_channels():
                if channel.callback_url == callback_url:
                    await client.close_channel(channel.channel_id)

    async def revoke(self, agent: Agent) -> None:
        if agent.tokens is None:
            return
        with _mapped():
            await cronofy_oauth.revoke(
                self._http,
                self._api_base_url,
                client_id=self._client_id,
                client_secret=self._client_secret,
                token=agent.tokens.refresh_token,
            )

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        # Cronofy's authorization documents no PKCE: the challenge is left out (its code
        # exchange is authenticated by the client secret).
        return cronofy_oauth.authorize_url(
            self._app_base_url, self._client_id, redirect_uri, state=state
        )

    async def link(self, code: str, redirect_uri: str, code_verifier: str) -> LinkedAccount:
        with _mapped():
            tokens = await cronofy_oauth.exchange_code(
                self._http, self._api_base_url,
                client_id=self._client_id, client_secret=self._client_secret,
                code=code, redirect_uri=redirect_uri, clock=self._clock,
            )
        account = tokens.sub or tokens.account_id or ""
        return LinkedAccount(account, self._data_center, _stored_tokens(tokens))

    async def link_tokens(
        self, access_token: str, refresh_token: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        # Not stored yet, so nobody else refreshes them: no coordination; the tokens
        # answered are the client's own after any refresh.
        client = self._client(CronofyTokens(access_token, refresh_token))
        try:
            info = await client.userinfo()
        except Unauthorized as exc:
            raise CalendarAuthorizationLost(str(exc)) from exc
        except CronofyError as exc:
            raise neutral_error(exc) from exc
        calendars = await CronofyAgentCalendar(client).calendars()
        return LinkedAccount(info.sub, self._data_center, _stored_tokens(client.tokens)), calendars

    def read_push(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY
    ) -> PushNotice:
        return read_notification(self._client_secret, body, headers)


