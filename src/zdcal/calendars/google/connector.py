"""Google Calendar as a :class:`zdcal.calendars.base.CalendarBackend`: agents'
calendars, OAuth linking (PKCE), push channels and their notices, every Google failure
mapped to a neutral one.

Every client is built here, one way (:meth:`GoogleBackend._client`): on the process's
HTTP pool, paced by the user's budget inside the project's (both shared by the cluster:
:mod:`zdcal.http.budgets`), refreshing through the store's coordinator when the agent's
tokens are stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from zdcal.calendars.base import (
    NO_QUERY,
    AgentCalendar,
    CalendarError,
    CalendarInfo,
    CalendarRejected,
    Capabilities,
    EventIds,
    LinkedAccount,
    PushChannel,
    PushNotice,
    TokenCoordinator,
    channel_due_for_renewal,
)
from zdcal.calendars.google.backend import (
    BATCH_SIZE,
    GoogleAgentCalendar,
    calendar_infos,
    connection_error,
)
from zdcal.calendars.google.client import GoogleClient
from zdcal.calendars.google.errors import GoogleError, NotFound
from zdcal.calendars.google.event_shape import MAX_OVERRIDES
from zdcal.calendars.google.oauth import GoogleOAuthClient, missing_scopes
from zdcal.calendars.google.push import (
    channel_token,
    made_for,
    new_channel_id,
    read_notification,
)
from zdcal.clock import Clock
from zdcal.http.budgets import Budgets, RateBudget, scope_of
from zdcal.http.pacing import AllOf, Pacer, Rate
from zdcal.http.retry import RetryPolicy, Sleep
from zdcal.store import Agent, CalendarTokens

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(
    batch_writes=True,
    batch_size=BATCH_SIZE,
    event_ids=EventIds.CLIENT,
    push=True,
    changes_since=True,  # sync tokens
    all_day_events=True,
    max_reminders=MAX_OVERRIDES,
    private_events=True,
)

QUOTA_WINDOW_SLACK_SECONDS = 3.0
"""Added to each of Google's one-minute quota windows by zdcal's pacing. Google counts a
call when it gets to it: the calls of a burst (a window's worth of batches) are counted
over the time the service takes to go through them, so a call sent exactly a window after
the burst's first is refused. With 0.1 s (the default), bench/google_backfill.py under
binding quotas saw 350 of 2,000 calls refused and 2.0x the floor; with 3 s, none, 1.08x.
It costs 5% of the pace only while a quota is reached."""

PROJECT_SCOPE = "google:project"
USER_SCOPES = "google:user"


def quota_budget(budgets: Budgets, scope: str, *rates: Rate) -> RateBudget:
    """The budget of one of Google's per-minute quotas (:data:`QUOTA_WINDOW_SLACK_SECONDS`)."""
    return budgets.rate(scope, rates, margin=QUOTA_WINDOW_SLACK_SECONDS)


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except GoogleError as exc:
        raise connection_error(exc) from exc


class GoogleBackend:
    """Google clients sharing one HTTP pool, the per-project budget and the users'."""

    name = "google"
    title = "Google Calendar"
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        api_base_url: str,
        oauth: GoogleOAuthClient,
        http: httpx.AsyncClient,
        limiter: Pacer | None,
        budgets: Budgets,
        clock: Clock,
        requests_per_minute_per_user: int,
        coordinate_refresh: Callable[[int], TokenCoordinator] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._policy = policy
        self._sleep = sleep
        self._api_base_url = api_base_url
        self._oauth = oauth
        self._http = http
        self._limiter = limiter
        self._clock = clock
        self._budgets = budgets
        self._user_rate = Rate(requests_per_minute_per_user, 60.0)
        self._coordinate_refresh = coordinate_refresh

    def user_limiter(self, account: str | None) -> RateBudget:
        """The per-user budget of one Google account; an account not known yet (being
        linked) is paced alone, in this process."""
        if account is None:
            return quota_budget(Budgets.local(), USER_SCOPES, self._user_rate)
        return quota_budget(self._budgets, scope_of(USER_SCOPES, account), self._user_rate)

    def _client(
        self, tokens: CalendarTokens, account: str | None,
        coordinate: TokenCoordinator | None = None,
    ) -> GoogleClient:
        user = self.user_limiter(account)
        return GoogleClient(
            self._api_base_url, tokens, oauth=self._oauth, coordinate_refresh=coordinate,
            http=self._http, limiter=AllOf(user, self._limiter) if self._limiter else user,
            clock=self._clock, policy=self._policy, sleep=self._sleep,
        )

    def client_for(self, agent: Agent) -> GoogleClient:
        """A client for the agent whose refreshes are coordinated through the store."""
        if agent.tokens is None:
            raise ValueError(f"agent {agent.id} holds no calendar tokens")
        coordinate = self._coordinate_refresh(agent.id) if self._coordinate_refresh else None
        account = agent.calendar_account_id or f"agent-{agent.id}"
        return self._client(agent.tokens, account, coordinate)

    def for_agent(self, agent: Agent) -> AgentCalendar:
        return GoogleAgentCalendar(self.client_for(agent), read_state=agent.read_state)

    async def revoke(self, agent: Agent) -> None:
        if agent.tokens is None:
            return
        with _mapped():
            await self._oauth.revoke(self._http, agent.tokens.refresh_token, sleep=self._sleep)

    # OAuth linking ---------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        return self._oauth.authorize_url(redirect_uri, state, code_challenge)

    async def link(self, code: str, redirect_uri: str, code_verifier: str) -> LinkedAccount:
        with _mapped():
            granted = await self._oauth.exchange_code(
                self._http, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier,
                clock=self._clock,
            )
        _refuse_missing_scopes(granted.scope)
        linked, _ = await self._account(granted.tokens)
        return linked

    async def link_tokens(
        self, access_token: str, refresh_token: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        # Tokens brought from elsewhere say nothing of their scopes: one refresh does
        # (a read-only grant would list calendars and then fail every write).
        with _mapped():
            granted = await self._oauth.refresh_granted(
                self._http, refresh_token, clock=self._clock
            )
        _refuse_missing_scopes(granted.scope)
        return await self._account(granted.tokens)

    async def _account(
        self, tokens: CalendarTokens
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        """The account the tokens open (its primary calendar's id: the user's email) and
        its calendars. Not stored yet, so nobody else refreshes them: no coordination."""
        client = self._client(tokens, None)
        with _mapped():
            entries = await client.calendar_list()
        calendars = calendar_infos(entries)
        account = next((c.calendar_id for c in calendars if c.primary), "")
        return LinkedAccount(account, "", client.tokens), calendars

    # Push channels ---------------------------------------------------------------------

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel:
        current = (
            PushChannel(agent.channel_id, agent.channel_resource_id, agent.channel_expires_at)
            if agent.channel_id else None
        )
        if agent.calendar_id is None:
            raise CalendarRejected("the agent has not chosen a calendar to watch")
        if (
            current is not None
            and made_for(current.channel_id, agent.calendar_id, callback_url)
            and not channel_due_for_renewal(current.expires_at, self._clock.now())
        ):
            return current
        client = self.client_for(agent)
        channel_id = new_channel_id(agent.calendar_id, callback_url)
        with _mapped():
            answer = await client.watch(agent.calendar_id, {
                "id": channel_id, "type": "web_hook", "address": callback_url,
                "token": channel_token(self._oauth.client_secret, channel_id),
            })
        made = PushChannel(
            channel_id, _text(answer.get("resourceId")), _expiry(answer.get("expiration"))
        )
        if current is not None:
            await self._stop_quietly(client, current)
        return made

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        if agent.channel_id is None or agent.channel_resource_id is None:
            return  # nothing Google could stop (it expires by itself)
        client = self.client_for(agent)
        try:
            await client.stop_channel(agent.channel_id, agent.channel_resource_id)
        except NotFound:
            return  # expired or stopped already
        except GoogleError as exc:
            raise connection_error(exc) from exc

    async def _stop_quietly(self, client: GoogleClient, channel: PushChannel) -> None:
        """Stop a replaced channel; a failure only costs a few extra notices until it
        expires (they name a channel the agent no longer has, and are ignored)."""
        if channel.resource_id is None:
            return
        try:
            await client.stop_channel(channel.channel_id, channel.resource_id)
        except (GoogleError, CalendarError) as exc:
            log.info("could not stop replaced Google channel: %s", exc)

    def read_push(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY
    ) -> PushNotice:
        return read_notification(self._oauth.client_secret, body, headers)


def _refuse_missing_scopes(granted: str | None) -> None:
    missing = missing_scopes(granted)
    if missing:
        raise CalendarRejected(
            "Google did not grant zdcal access to "
            + " and ".join(m.rsplit("/", 1)[-1] for m in missing)
            + ": connect again and allow every access asked for"
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _expiry(value: object) -> datetime | None:
    """``expiration`` (milliseconds since the epoch, as a string) as an instant."""
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None
