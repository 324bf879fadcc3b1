"""Microsoft 365 as a :class:`zdcal.calendars.base.CalendarBackend`: agents' mailboxes,
OAuth linking (PKCE), change-notification subscriptions and their notices, every Graph
failure mapped to a neutral one.

Every client is built here, one way (:meth:`MicrosoftBackend._client`): on the process's
HTTP pool, held to the mailbox's limits (:mod:`.mailbox`) inside the application's
budget (all shared by the cluster), refreshing through the store's coordinator when the
agent's tokens are stored.

Subscriptions: one per agent on the chosen calendar's events
(``me/calendars/{id}/events``), created ``created,updated,deleted`` for
:data:`SUBSCRIPTION_MINUTES`, with the lifecycle URL beside the callback URL. Graph
chooses the subscription's id (the channel id), so what it was made for is kept in the
channel's resource id: a fingerprint of the resource and the callback URL, then the
resource. A channel due for renewal is renewed (PATCH); one made for another calendar
or address, or one Graph no longer knows, is made again (the old one deleted).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

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
from zdcal.calendars.microsoft.backend import (
    BATCH_SIZE,
    MicrosoftAgentCalendar,
    calendar_infos,
    connection_error,
)
from zdcal.calendars.microsoft.client import GraphClient
from zdcal.calendars.microsoft.errors import GraphError, NotFound
from zdcal.calendars.microsoft.mailbox import Mailboxes
from zdcal.calendars.microsoft.oauth import MicrosoftOAuthClient, has_write_scope
from zdcal.calendars.microsoft.push import client_state, read_notification
from zdcal.clock import Clock
from zdcal.http.budgets import Budgets
from zdcal.http.pacing import Pacer
from zdcal.http.retry import RetryPolicy, Sleep
from zdcal.store import Agent, CalendarTokens
from zdcal.webhook_urls import lifecycle_url

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(
    batch_writes=True,
    batch_size=BATCH_SIZE,
    event_ids=EventIds.SERVER,
    push=True,
    changes_since=True,  # delta links
    all_day_events=True,
    max_reminders=1,
    private_events=True,
)

SUBSCRIPTION_MINUTES = 4200
"""A subscription's lifetime asked for: under the 4,230 minutes Graph's documentation
allows for Outlook events (newer pages are reported to allow 10,080; the shorter is
safe under both). Renewed a day before it ends (``channel_due_for_renewal``)."""
CHANGE_TYPES = "created,updated,deleted"


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except GraphError as exc:
        raise connection_error(exc) from exc


NO_WRITE_SCOPE = ("Microsoft did not grant zdcal access to write calendars: connect again "
                  "and accept every permission asked for")


def _check_write_scope(granted: str | None) -> None:
    if not has_write_scope(granted):
        raise CalendarRejected(NO_WRITE_SCOPE)


def subscription_resource(calendar_id: str) -> str:
    return f"me/calendars/{calendar_id}/events"


def made_for(calendar_id: str, callback_url: str) -> str:
    """The channel resource id a subscription to ``callback_url`` on the calendar's events
    is stored with (at most 255 characters: the column's size)."""
    resource = subscription_resource(calendar_id)
    fingerprint = hashlib.sha256(f"{resource}\n{callback_url}".encode()).hexdigest()[:16]
    return f"{fingerprint} {resource}"[:255]


def _same_target(stored: str | None, wanted: str) -> bool:
    return stored is not None and stored.split(" ", 1)[0] == wanted.split(" ", 1)[0]


class MicrosoftBackend:
    """Graph clients sharing one HTTP pool, the application's budget and the mailboxes'."""

    name = "microsoft"
    title = "Microsoft 365"
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        graph_url: str,
        oauth: MicrosoftOAuthClient,
        http: httpx.AsyncClient,
        limiter: Pacer | None,
        budgets: Budgets,
        clock: Clock,
        requests_per_window_per_mailbox: int,
        coordinate_refresh: Callable[[int], TokenCoordinator] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._graph_url = graph_url
        self._oauth = oauth
        self._http = http
        self._limiter = limiter
        self._clock = clock
        self._mailboxes = Mailboxes(budgets, requests_per_window_per_mailbox)
        self._coordinate_refresh = coordinate_refresh
        self._policy = policy
        self._sleep = sleep

    def _client(
        self, tokens: CalendarTokens, mailbox: str | None,
        coordinate: TokenCoordinator | None = None,
    ) -> GraphClient:
        return GraphClient(
            self._graph_url, tokens, oauth=self._oauth, mailbox=self._mailboxes.get(mailbox),
            application=self._limiter, coordinate_refresh=coordinate, http=self._http,
            clock=self._clock, policy=self._policy, sleep=self._sleep,
        )

    def client_for(self, agent: Agent) -> GraphClient:
        """A client for the agent whose refreshes are coordinated through the store."""
        if agent.tokens is None:
            raise ValueError(f"agent {agent.id} holds no calendar tokens")
        coordinate = self._coordinate_refresh(agent.id) if self._coordinate_refresh else None
        mailbox = agent.calendar_account_id or f"agent-{agent.id}"
        return self._client(agent.tokens, mailbox, coordinate)

    def for_agent(self, agent: Agent) -> AgentCalendar:
        return MicrosoftAgentCalendar(self.client_for(agent), read_state=agent.read_state)

    async def revoke(self, agent: Agent) -> None:
        """Nothing to call: Microsoft has no per-app revocation a user's token may make
        (see :mod:`.oauth`); zdcal forgets the tokens."""

    # OAuth linking ---------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        return self._oauth.authorize_url(redirect_uri, state, code_challenge)

    async def link(self, code: str, redirect_uri: str, code_verifier: str) -> LinkedAccount:
        with _mapped():
            granted = await self._oauth.exchange_code(
                self._http, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier,
                clock=self._clock,
            )
        _check_write_scope(granted.scope)
        linked, _ = await self._account(granted.tokens)
        return linked

    async def link_tokens(
        self, access_token: str, refresh_token: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        """Tokens brought from elsewhere do not say what they may do (an access token is
        opaque to its client): one refresh answers their scope, and proves the refresh
        token, before anything is stored; its fresh pair is the one kept."""
        try:
            granted = await self._oauth.refresh_granted(
                self._http, refresh_token, clock=self._clock)
        except GraphError as exc:
            if exc.code == "invalid_scope":  # zdcal's scopes asked for, the grant lacks one
                raise CalendarRejected(NO_WRITE_SCOPE) from exc
            raise connection_error(exc) from exc
        _check_write_scope(granted.scope)
        return await self._account(granted.tokens)

    async def _account(
        self, tokens: CalendarTokens
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        """The mailbox the tokens open (``/me``: its stable id and address) and its
        calendars. Not stored yet, so nobody else refreshes them: no coordination."""
        client = self._client(tokens, None)
        with _mapped():
            me = await client.me()
            entries = await client.calendars()
        address = str(me.get("mail") or me.get("userPrincipalName") or "")
        account = str(me.get("id") or address)
        return LinkedAccount(account, "", client.tokens), calendar_infos(entries, address)

    # Push channels ---------------------------------------------------------------------

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel:
        if agent.calendar_id is None:
            raise CalendarRejected("the agent has not chosen a calendar to watch")
        wanted = made_for(agent.calendar_id, callback_url)
        current = (
            PushChannel(agent.channel_id, agent.channel_resource_id, agent.channel_expires_at)
            if agent.channel_id else None
        )
        now = self._clock.now()
        client = self.client_for(agent)
        if current is not None and _same_target(current.resource_id, wanted):
            if not channel_due_for_renewal(current.expires_at, now):
                return current
            try:
                answer = await client.renew_subscription(current.channel_id, _expiry_text(now))
                return PushChannel(current.channel_id, wanted, _expiry(answer, now))
            except NotFound:
                current = None  # removed by Graph: make another
            except GraphError as exc:
                raise connection_error(exc) from exc
        with _mapped():
            answer = await client.create_subscription({
                "changeType": CHANGE_TYPES,
                "notificationUrl": callback_url,
                "lifecycleNotificationUrl": lifecycle_url(callback_url),
                "resource": subscription_resource(agent.calendar_id),
                "expirationDateTime": _expiry_text(now),
                "clientState": client_state(self._oauth.client_secret),
                "latestSupportedTlsVersion": "v1_2",
            })
        made = PushChannel(str(answer["id"]), wanted, _expiry(answer, now))
        if current is not None:
            await self._delete_quietly(client, current.channel_id)
        return made

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        if agent.channel_id is None:
            return
        client = self.client_for(agent)
        try:
            await client.delete_subscription(agent.channel_id)
        except NotFound:
            return  # expired or deleted already
        except GraphError as exc:
            raise connection_error(exc) from exc

    async def _delete_quietly(self, client: GraphClient, subscription_id: str) -> None:
        """Delete a replaced subscription; a failure only costs a few extra notices until
        it expires (they name a channel the agent no longer has, and are refused)."""
        try:
            await client.delete_subscription(subscription_id)
        except (GraphError, CalendarError) as exc:
            log.info("could not delete replaced Microsoft subscription: %s", exc)

    def read_push(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY
    ) -> PushNotice:
        return read_notification(self._oauth.client_secret, body, query)


def _expiry_text(now: datetime) -> str:
    moment = now + timedelta(minutes=SUBSCRIPTION_MINUTES)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _expiry(answer: Mapping[str, object], now: datetime) -> datetime:
    """When Graph says the subscription ends; what zdcal asked for when it does not say
    (a channel must always have an end, or it would never be renewed)."""
    value = answer.get("expirationDateTime")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value[:19] + "+00:00")
        except ValueError:
            pass
    return now + timedelta(minutes=SUBSCRIPTION_MINUTES)
