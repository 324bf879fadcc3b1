"""The calendar contract: the only calendar module sync, live, web and cli know.

A backend (one folder under ``zdcal.calendars``, e.g. ``cronofy/``, ``caldav/``) offers
:class:`CalendarBackend`: agents' calendars (:class:`AgentCalendar`) and revocation, and
declares its :class:`Capabilities`, among them how an agent connects
(:class:`Connection`) and whether the calendar pushes changes or must be polled. What it
declares, it implements: :class:`OAuthLinking` (the agent authorizes at the service) or
:class:`CredentialsLinking` (the agent types a server, username and password), and
:class:`PushChannels` when it pushes. It is built by :mod:`zdcal.calendars.registry`
from the settings; each agent records its backend's name.

The engine speaks in domain actions (:class:`zdcal.domain.Upsert`,
:class:`zdcal.domain.Delete`); a backend turns them into its API's idempotent writes
(upsert by our own event id; delete is a no-op when absent) and reports one outcome per
action, in order. Whole-connection problems are exceptions, per-action ones outcomes.
A backend maps its vendor's failures to the errors below, once, at its boundary: no
vendor exception escapes ``zdcal.calendars.<backend>``.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from zdcal.domain import Action
from zdcal.store import Agent, CalDAVAccount, CalendarTokens

Credentials = CalendarTokens | CalDAVAccount
"""What opens an agent's calendar account: OAuth tokens, or a CalDAV account."""


class EventIds(enum.StrEnum):
    """Who names an event."""

    CLIENT = "client"
    """We choose each event's id (upsert by our id: writes are idempotent)."""
    SERVER = "server"
    """The calendar assigns ids; the backend must remember them to update or delete."""


class Connection(enum.StrEnum):
    """How an agent connects their calendar account."""

    OAUTH = "oauth"
    """Sent to the service to authorize zdcal, back with a code (:class:`OAuthLinking`)."""
    CREDENTIALS = "credentials"
    """A server, a username and an (app) password typed into zdcal's form
    (:class:`CredentialsLinking`)."""


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; the engine and the pages adapt to it."""

    batch_writes: bool
    """Several writes in one request."""
    batch_size: int
    """The most writes in one request (1 without batch writes)."""
    event_ids: EventIds
    push: bool
    """The calendar notifies us of changes (:class:`PushChannels`); else it is polled
    (the worker reads each such agent's changes every ``caldav_poll_seconds``)."""
    changes_since: bool
    """Events changed since a point in time can be read (else: read them all)."""
    all_day_events: bool
    max_reminders: int
    private_events: bool
    connection: Connection = Connection.OAUTH
    write_concurrency: int = 1
    """How many writes to one agent's calendar may be in flight at once (a backend
    without batch writes sends one request per write)."""


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar of the agent's calendar account."""

    calendar_id: str
    name: str
    writable: bool
    primary: bool
    provider: str
    profile: str


@dataclass(frozen=True)
class ManagedEvent:
    """An event this application manages, as the calendar holds it now."""

    calendar_id: str
    event_id: str
    start: str
    end: str
    deleted: bool
    updated: datetime | None
    stored_as: EventObject | None = None
    """Where and in which version the calendar keeps it (backends that say)."""


@dataclass(frozen=True)
class EventObject:
    """Where a calendar keeps one event and which version of it zdcal last wrote or read
    (CalDAV: the object's URL and ETag). Backends that write conditionally need it back
    for the next write (:meth:`AgentCalendar.apply`'s ``stored``)."""

    href: str
    etag: str | None
    start: str | None = None
    end: str | None = None
    """The event's times as zdcal last recorded them (to tell a change of times, an
    agent's move, from any other change of the object)."""


class WriteStatus(enum.Enum):
    DONE = "done"
    """The calendar holds what was asked (written, or deleted/already absent)."""
    REJECTED = "rejected"
    """The calendar refused this one write for good (e.g. 422): retrying will not help."""
    RETRY = "retry"
    """A passing failure (rate limit, 5xx): try again later."""


class FailureKind(enum.StrEnum):
    """Why a write failed, as far as the person whose calendar it is cares (the pages
    say each in plain words; ``reason`` keeps the detail for admins)."""

    UNAVAILABLE = "unavailable"
    """The calendar service did not answer, failed or asked to slow down."""
    CALENDAR_GONE = "calendar_gone"
    """The chosen calendar no longer exists or is no longer shared."""
    REJECTED = "rejected"
    """The calendar refused the event itself (a 422)."""
    UNKNOWN = "unknown"
    """Anything else, and failures recorded before kinds existed."""


@dataclass(frozen=True)
class WriteOutcome:
    status: WriteStatus
    reason: str | None = None
    kind: FailureKind = FailureKind.UNKNOWN  # for a failed write
    stored_as: EventObject | None = None
    """For a done upsert, where and in which version the calendar now keeps the event
    (backends that write conditionally); recorded with the entry."""


class CalendarError(Exception):
    """Any failure of a calendar backend, in backend-neutral terms."""


class CalendarAuthorizationLost(CalendarError):
    """Needs reconnect: the agent must link their calendar again (access was revoked,
    the scope is missing, or the provider lost its credentials)."""


class CalendarAuthorizationExpired(CalendarAuthorizationLost):
    """The authorization expired for good: the refresh token was refused."""


class CalendarUnavailable(CalendarError):
    """Transient: the calendar service could not be reached or kept failing; try later."""


class CalendarRefreshBusy(CalendarUnavailable):
    """Another process kept refreshing the agent's tokens for too long: try later."""


class CalendarRateLimited(CalendarUnavailable):
    """The calendar service asked to slow down beyond the retry policy."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds until the service takes requests again, when it said."""


class CalendarRejected(CalendarError):
    """The calendar refused the request itself (e.g. an OAuth code it does not know):
    retrying the same request will not help."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


RefreshTokens = Callable[[CalendarTokens], Awaitable[CalendarTokens]]
"""Trades stale tokens for fresh ones at the backend's token endpoint; raises
:class:`CalendarAuthorizationExpired` when the refresh token is refused."""

TokenCoordinator = Callable[[CalendarTokens, RefreshTokens], Awaitable[CalendarTokens]]
"""Wraps every refresh of one agent's tokens (``zdcal.sync.token_refresh``): given the
stale tokens and the call that refreshes them, answers the tokens to use from now on
(perhaps ones another process refreshed) and stores them."""


@dataclass(frozen=True)
class LinkedAccount:
    """A calendar account an agent just authorized, not stored yet."""

    calendar_account_id: str
    """The backend's stable id of the account (Cronofy's ``sub``); "" when the service
    did not say."""
    data_center: str
    """Where the backend keeps the account, when it has regions ("" otherwise)."""
    tokens: Credentials
    """What to store to open the account again (OAuth tokens or a CalDAV account)."""


class PushKind(enum.StrEnum):
    CHANGE = "change"
    """Events changed: read the agent's calendar."""
    DISCONNECTED = "disconnected"
    """The calendar says the account was unlinked (a hint: confirm before believing)."""
    VERIFICATION = "verification"
    """The channel was just made; nothing to do (but send :attr:`PushNotice.answer`,
    when there is one)."""
    RENEW = "renew"
    """The service asks for the channel to be renewed or made again now (Graph's
    lifecycle notifications); changes may have been missed meanwhile: read them too."""
    OTHER = "other"


@dataclass(frozen=True)
class PushNotice:
    """One verified push notification, in neutral terms."""

    kind: PushKind
    type: str
    """The backend's own name for it (counted in metrics)."""
    channel_id: str | None
    callback_url: str | None
    """The address the notice says it was sent to (None: the service does not say; the
    channel id alone then ties it to the agent)."""
    answer: str | None = None
    """A plain-text body the service expects back, with 200 (Graph's validation
    handshake echoes its ``validationToken``); None: the receiver answers as usual."""


@dataclass(frozen=True)
class PushChannel:
    """An agent's push channel as the calendar service made it; sync stores it on the
    agent (``channel_id``, ``channel_resource_id``, ``channel_expires_at``) so that a
    backend whose service cannot list channels (Google) can stop or renew it."""

    channel_id: str
    resource_id: str | None = None
    """The service's id of what the channel watches, when stopping needs it."""
    expires_at: datetime | None = None
    """When the service stops pushing on it by itself (None: it does not expire)."""


CHANNEL_RENEW_BEFORE = timedelta(days=1)
"""A channel that expires is replaced this long before it does (the worker looks for
such channels every ``channel_renewal_seconds``; a day leaves many chances)."""


def channel_due_for_renewal(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a channel expiring at ``expires_at`` must be replaced now."""
    return expires_at is not None and expires_at - now <= CHANNEL_RENEW_BEFORE


NO_QUERY: Mapping[str, str] = MappingProxyType({})
"""A push request without a query string."""


class PushRefused(Exception):
    """A push request that is not a genuine, well-formed notification."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class AgentCalendar(Protocol):
    """One agent's connected calendar account."""

    async def calendars(self) -> list[CalendarInfo]:
        """Every calendar of the account, writable or not."""
        ...

    async def apply(
        self,
        actions: Sequence[Action],
        stored: Mapping[tuple[str, str], EventObject] | None = None,
    ) -> list[WriteOutcome]:
        """Carry out the actions; one outcome per action, in order. ``stored`` is what
        the outcomes said last of each event, by (calendar id, event id)."""
        ...

    def managed_events(
        self,
        calendar_ids: Sequence[str],
        *,
        last_modified: datetime | None = None,
        recorded: Collection[tuple[str, str]] = (),
    ) -> AsyncIterator[ManagedEvent]:
        """Every event we manage in these calendars, at any date (deleted ones too), all
        pages. (Cronofy applies no date window to managed events read without bounds.)

        With ``last_modified``, only those changed since: a backend with a read state
        (:meth:`read_state`) reads from where it last stopped instead. ``recorded`` are
        the events zdcal recorded there (calendar id, event id): a backend whose change
        feed may leave out an event created and deleted between two reads reports those
        it no longer finds as deleted."""
        ...

    def read_state(self) -> str | None:
        """After :meth:`managed_events` read changes: how far it read, in the backend's
        own terms, to store (``agents.calendar_read_state``) once they were acted on.
        None: the backend keeps no such state (it reads by ``last_modified``)."""
        ...


class CalendarConnector(Protocol):
    """What the sync engine needs: a calendar for an agent that holds credentials, and
    push channels where the agent's backend pushes.
    :class:`zdcal.calendars.registry.CalendarBackends` answers it for every backend at
    once, by each agent's recorded backend."""

    def for_agent(self, agent: Agent) -> AgentCalendar: ...

    def capabilities(self, agent: Agent) -> Capabilities:
        """What the backend serving ``agent`` can do."""
        ...

    async def revoke(self, agent: Agent) -> None:
        """Withdraw zdcal's authorization to the agent's calendar account."""
        ...

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel | None:
        """A push channel for our events to ``callback_url``: the existing one (while it
        is not due for renewal), or a new one; None for a backend that is polled."""
        ...

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        """Close the agent's channels to ``callback_url`` (no error when there are none)."""
        ...


class CalendarBackend(Protocol):
    """One calendar service, as wired for this process (see the registry)."""

    name: str
    """Stored in ``agents.calendar_backend``; also the label of its HTTP metrics."""
    title: str
    """Its name in messages ("Cronofy")."""
    capabilities: Capabilities

    def for_agent(self, agent: Agent) -> AgentCalendar: ...

    async def revoke(self, agent: Agent) -> None:
        """Withdraw zdcal's authorization to the agent's calendar account (a backend
        holding a password the agent made has nothing to withdraw: a no-op)."""
        ...


@runtime_checkable
class OAuthLinking(Protocol):
    """A backend whose agents connect by OAuth (``Connection.OAUTH``)."""

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        """Where to send an agent to authorize zdcal (OAuth). ``code_challenge`` is the
        flow's PKCE S256 challenge (:func:`zdcal.http.oauth.make_pkce_pair`); a service
        without PKCE leaves it out."""
        ...

    async def link(self, code: str, redirect_uri: str, code_verifier: str) -> LinkedAccount:
        """Trade the OAuth answer's code (and the flow's PKCE verifier) for the agent's
        tokens."""
        ...

    async def link_tokens(
        self, access_token: str, refresh_token: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        """Check tokens obtained elsewhere (the CLI): the account they open and its
        calendars. The tokens answered are the ones to store (perhaps refreshed)."""
        ...


@runtime_checkable
class CredentialsLinking(Protocol):
    """A backend whose agents connect with a server, username and password
    (``Connection.CREDENTIALS``)."""

    providers: tuple[str, ...]
    """Provider presets an agent may name instead of a server URL ("icloud", ...)."""

    def server_url(self, provider: str, url: str | None) -> str:
        """Where discovery starts for ``provider`` (one of :attr:`providers`; some need
        ``url``, e.g. a self-hosted instance's base). :class:`ValueError` if it cannot."""
        ...

    async def link_credentials(
        self, server_url: str, username: str, password: str
    ) -> tuple[LinkedAccount, list[CalendarInfo]]:
        """Find the account at ``server_url`` and its calendars, nothing stored yet.

        Raises :class:`CalendarAuthorizationLost` (credentials refused),
        :class:`CalendarRejected` (not such a server, or its certificate is not trusted)
        and :class:`CalendarUnavailable` (unreachable, failing)."""
        ...


@runtime_checkable
class PushChannels(Protocol):
    """A backend whose calendars push changes (``capabilities.push``)."""

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel:
        """A push channel for our events to ``callback_url``: the existing one (while
        :func:`channel_due_for_renewal` says no), or a new one (the one it replaces is
        closed)."""
        ...

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        """Close the agent's channels to ``callback_url`` (no error when there are none)."""
        ...

    def read_push(
        self, body: bytes, headers: Mapping[str, str], query: Mapping[str, str] = NO_QUERY
    ) -> PushNotice:
        """Verify and parse a push request (its body, headers and query string);
        :class:`PushRefused` when it is not genuine or not well-formed. Checks the
        signature before anything else."""
        ...


class NotSupported(CalendarError):
    """The backend does not connect or notify that way (see its capabilities)."""


def oauth_linking(backend: CalendarBackend) -> OAuthLinking:
    """``backend`` as an OAuth backend; :class:`NotSupported` if it connects otherwise."""
    if not isinstance(backend, OAuthLinking):
        raise NotSupported(f"{backend.title} is not connected by OAuth")
    return backend


def credentials_linking(backend: CalendarBackend) -> CredentialsLinking:
    """``backend`` as one connected with credentials; :class:`NotSupported` otherwise."""
    if not isinstance(backend, CredentialsLinking):
        raise NotSupported(f"{backend.title} is not connected with a password")
    return backend


def push_channels(backend: CalendarBackend) -> PushChannels | None:
    """``backend``'s push channels; None for a backend that is polled."""
    return backend if isinstance(backend, PushChannels) else None
