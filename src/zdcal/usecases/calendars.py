"""An agent's calendar connection, as the web and the CLI both perform it: link after
OAuth (repairing at once on a reconnect), link with tokens from elsewhere (the CLI),
connect a CalDAV account (server or provider, username, app password), offer the
calendars, choose the first one, switch, disconnect, remove.

Each act takes the account's work as an opener (:data:`AccountWork`: the web's holds the
account's lock, the CLI's opens its own pools), so it decides what runs under it. The
calendar backend comes from the agent's record through the registry; only neutral errors
(:mod:`zdcal.calendars.base`) reach the adapters, which turn them into words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarBackend,
    CalendarConnector,
    CalendarError,
    CalendarInfo,
    CalendarRejected,
    CalendarUnavailable,
    LinkedAccount,
    credentials_linking,
    oauth_linking,
)
from zdcal.domain import effective_time_zone
from zdcal.store import Account, Agent, AgentStatus, EventStyleOptions, Store
from zdcal.sync.agents import (
    CalendarChoiceError,
    choose_calendar,
    connect_agent,
    disconnect_agent,
    link_calendar_account,
    start_writing,
    suggested_calendar,
    switch_calendar,
)
from zdcal.sync.engine import AccountSync
from zdcal.usecases.errors import AgentNotFound, NotFound, UseCaseError
from zdcal.zendesk.errors import NotFound as ZendeskNotFound

AccountWork = Callable[[], AbstractAsyncContextManager[AccountSync]]
"""Opens the work on the agent's account (e.g. holding its lock) and gives its sync."""

LOST = "zdcal can no longer reach your calendar: the authorization was revoked or expired."

__all__ = [
    "LOST",
    "AccountWork",
    "CalendarChoiceError",
    "CredentialsRefused",
    "LinkRefused",
    "Linked",
    "OfferedCalendars",
    "TokensRefused",
    "UnknownZendeskUser",
    "ZendeskUserRefused",
    "connect_after_credentials",
    "connect_after_oauth",
    "connect_with_credentials",
    "connect_with_tokens",
    "credentials_account",
    "disconnect",
    "mark_needs_reconnect",
    "offered_calendars",
    "remove_agent",
    "start_with_calendar",
    "switch",
]


class LinkRefused(UseCaseError):
    """The calendar service refused the agent's authorization; the message says so."""


class TokensRefused(UseCaseError):
    """The calendar service did not accept tokens given on the command line."""


class CredentialsRefused(UseCaseError):
    """The calendar server could not be used with what the agent typed (wrong username
    or password, not a calendar server, an untrusted certificate, unreachable); the
    message says which, and nothing was stored."""


class ZendeskUserRefused(UseCaseError):
    """The Zendesk user cannot have a calendar connected: not an agent."""


class UnknownZendeskUser(ZendeskUserRefused, NotFound):
    """Zendesk knows no such user."""


@dataclass(frozen=True)
class Linked:
    agent: Agent
    repaired: bool
    """A reconnect of the same account: the agent's events were written again at once."""


async def connect_after_oauth(
    work: AccountWork, backend: CalendarBackend, agent: Agent, code: str, redirect_uri: str,
    code_verifier: str,
) -> Linked:
    """Store the tokens the OAuth answer's ``code`` buys; nothing is written before the
    agent chooses a calendar, except on a reconnect of the same calendar account whose
    calendar still takes events: that one is repaired at once (they chose before).

    Raises :class:`LinkRefused`; calendar errors and ``AccountBusy`` pass through.
    """
    try:
        linked = await oauth_linking(backend).link(code, redirect_uri, code_verifier)
    except CalendarError as exc:
        raise LinkRefused(f"The calendar service refused the connection: {exc}") from exc
    if not linked.calendar_account_id:
        raise LinkRefused("The calendar service did not say which account was linked.")
    return await _store_link(work, backend, agent, linked)


async def connect_after_credentials(
    work: AccountWork, backend: CalendarBackend, agent: Agent, *,
    provider: str, url: str | None, username: str, password: str,
) -> Linked:
    """The agent's page form for a server account (CalDAV): find the account, store it
    (the password encrypted), and, as after OAuth, let the agent choose the calendar,
    except on a reconnect of the same account, repaired at once.

    Raises :class:`CredentialsRefused` (nothing stored); ``AccountBusy`` passes through.
    """
    linked, _ = await credentials_account(
        backend, provider=provider, url=url, username=username, password=password
    )
    return await _store_link(work, backend, agent, linked)


async def _store_link(
    work: AccountWork, backend: CalendarBackend, agent: Agent, linked: LinkedAccount
) -> Linked:
    repair = (
        agent.status is AgentStatus.NEEDS_RECONNECT
        and linked.calendar_account_id == agent.calendar_account_id
        and agent.calendar_id is not None
    )
    async with work() as sync:
        stored = await link_calendar_account(
            sync, zendesk_user_id=agent.zendesk_user_id, name=agent.name,
            email=agent.email, time_zone=agent.time_zone,
            calendar_account_id=linked.calendar_account_id, data_center=linked.data_center,
            tokens=linked.tokens, keep_calendar=repair, calendar_backend=backend.name,
        )
        if repair:
            try:
                return Linked(await start_writing(sync, stored, stored.calendar_id), True)
            except CalendarChoiceError:
                # The calendar went meanwhile: the agent chooses again, like a new one.
                async with sync.store.transaction() as tx:
                    await tx.agents.forget_calendar(stored.id)
    return Linked(stored, False)


async def connect_with_tokens(
    work: AccountWork,
    backend: CalendarBackend,
    zendesk_user_id: int,
    *,
    access_token: str,
    refresh_token: str,
    calendar_id: str | None,
    style: EventStyleOptions,
    time_zone_override: str | None = None,
) -> Agent:
    """Connect a Zendesk agent's calendar with tokens obtained elsewhere and write their
    open tasks. Refuses unknown users, non-agents, tokens the service does not accept and
    calendars that cannot take events before anything is stored.

    Raises :class:`ZendeskUserRefused`, :class:`TokensRefused`, :class:`CalendarChoiceError`.
    """
    async def link() -> tuple[LinkedAccount, list[CalendarInfo]]:
        try:
            return await oauth_linking(backend).link_tokens(access_token, refresh_token)
        except CalendarAuthorizationLost as exc:
            raise TokensRefused(
                f"{backend.title} did not accept those tokens (expired or revoked?); "
                "authorize again and pass the new ones"
            ) from exc

    return await _connect_linked(
        work, backend, zendesk_user_id, link, calendar_id=calendar_id, style=style,
        time_zone_override=time_zone_override,
    )


async def credentials_account(
    backend: CalendarBackend, *, provider: str, url: str | None, username: str, password: str
) -> tuple[LinkedAccount, list[CalendarInfo]]:
    """Find the calendar account a provider (or server URL), username and password open,
    and its calendars (nothing stored). Raises :class:`CredentialsRefused` with words for
    the person who typed them."""
    linking = credentials_linking(backend)
    try:
        server = linking.server_url(provider, url)
    except ValueError as exc:
        raise CredentialsRefused(str(exc)) from exc
    if not username or not password:
        raise CredentialsRefused("both the username and the app password are needed")
    try:
        return await linking.link_credentials(server, username, password)
    except CalendarAuthorizationLost as exc:
        raise CredentialsRefused(
            "the server refused that username or password (many providers need an app "
            "password, not the account's own)"
        ) from exc
    except CalendarRejected as exc:
        raise CredentialsRefused(f"{server} cannot be used as a calendar server: {exc}") \
            from exc
    except CalendarUnavailable as exc:
        raise CredentialsRefused(f"{server} could not be reached: {exc}") from exc


async def connect_with_credentials(
    work: AccountWork,
    backend: CalendarBackend,
    zendesk_user_id: int,
    *,
    provider: str,
    url: str | None,
    username: str,
    password: str,
    calendar_id: str | None,
    style: EventStyleOptions,
    time_zone_override: str | None = None,
) -> Agent:
    """Connect a Zendesk agent's calendar with a server account (CalDAV: a provider or
    server URL, username and app password) and write their open tasks. Discovery runs
    first; only writable calendars that take events can be chosen; nothing is stored
    when anything is refused.

    Raises :class:`ZendeskUserRefused`, :class:`CredentialsRefused`,
    :class:`CalendarChoiceError`.
    """

    async def link() -> tuple[LinkedAccount, list[CalendarInfo]]:
        return await credentials_account(
            backend, provider=provider, url=url, username=username, password=password
        )

    return await _connect_linked(
        work, backend, zendesk_user_id, link, calendar_id=calendar_id, style=style,
        time_zone_override=time_zone_override,
    )


async def _connect_linked(
    work: AccountWork,
    backend: CalendarBackend,
    zendesk_user_id: int,
    link: Callable[[], Awaitable[tuple[LinkedAccount, list[CalendarInfo]]]],
    *,
    calendar_id: str | None,
    style: EventStyleOptions,
    time_zone_override: str | None,
) -> Agent:
    """Check the Zendesk user, link the calendar account, choose the calendar, then store
    and write: each refusal comes before anything is stored."""
    if time_zone_override:
        effective_time_zone(None, time_zone_override)  # validates
    async with work() as sync:
        try:
            user = await sync.zendesk.show_user(zendesk_user_id)
        except ZendeskNotFound as exc:
            raise UnknownZendeskUser(
                f"no Zendesk user {zendesk_user_id} in {sync.account.subdomain}"
            ) from exc
        if not user.is_agent:
            raise ZendeskUserRefused(
                f"Zendesk user {zendesk_user_id} is an {user.role}, not an agent"
            )
        linked, calendars = await link()
        # Refuse a read-only, deleted or unknown calendar before anything is stored.
        chosen = choose_calendar(calendars, calendar_id)
        agent = await connect_agent(
            sync,
            zendesk_user_id=zendesk_user_id,
            name=user.name or f"user {zendesk_user_id}",
            email=user.email or "",
            time_zone=user.iana_time_zone or "Etc/UTC",
            calendar_account_id=linked.calendar_account_id,
            data_center=linked.data_center,
            tokens=linked.tokens,
            calendar_id=chosen.calendar_id,
            style=style,
            calendar_backend=backend.name,
        )
        if time_zone_override:
            async with sync.store.transaction() as tx:
                await tx.agents.set_time_zone_override(agent.id, time_zone_override)
            await sync.sync_agent(zendesk_user_id)
    return agent


@dataclass(frozen=True)
class OfferedCalendars:
    """What an agent may choose from: their writable calendars, the one suggested first,
    and the agent as it stands after the read (a refusal marks them for reconnecting)."""

    agent: Agent
    calendars: Sequence[CalendarInfo]
    suggested: CalendarInfo | None
    unavailable: bool
    """The calendar service did not answer: the list is empty for now."""


async def offered_calendars(
    store: Store, calendars: CalendarConnector, agent: Agent
) -> OfferedCalendars:
    """The agent's writable calendars, read with their own tokens (none without)."""
    found: list[CalendarInfo] = []
    unavailable = False
    if agent.has_credentials and agent.status is AgentStatus.ACTIVE:
        try:
            found = await calendars.for_agent(agent).calendars()
        except CalendarAuthorizationLost:
            agent = await mark_needs_reconnect(store, agent)
        except CalendarError:
            unavailable = True
    writable = [c for c in found if c.writable]
    return OfferedCalendars(agent, writable, suggested_calendar(writable), unavailable)


async def start_with_calendar(
    work: AccountWork,
    agent: Agent,
    calendar_id: str | None,
    style: EventStyleOptions | None = None,
) -> Agent:
    """The agent's first choice of calendar (and style): their tasks are written now.

    Raises :class:`CalendarChoiceError`; calendar errors and ``AccountBusy`` pass through.
    """
    async with work() as sync:
        return await start_writing(sync, agent, calendar_id, style=style)


async def switch(work: AccountWork, agent: Agent, calendar_id: str) -> Agent:
    """Move the agent's task events to another of their writable calendars. A refusal of
    their authorization marks them for reconnecting before it passes through.

    Raises :class:`CalendarChoiceError`; calendar errors and ``AccountBusy`` pass through.
    """
    async with work() as sync:
        try:
            return await switch_calendar(sync, agent, calendar_id)
        except CalendarAuthorizationLost:
            await mark_needs_reconnect(sync.store, agent)
            raise


async def disconnect(work: AccountWork, agent: Agent) -> int:
    """Remove the agent's events, revoke the authorization, delete the tokens.

    Returns how many events could not be removed (their calendar refused access).
    """
    async with work() as sync:
        return await disconnect_agent(sync, agent)


async def remove_agent(
    store: Store, work: AccountWork, account: Account, zendesk_user_id: int, *,
    keep_events: bool,
) -> int:
    """Disconnect the agent (unless ``keep_events``) and forget them. Returns how many
    events could not be removed. Raises :class:`AgentNotFound`."""
    async with store.transaction() as tx:
        agent = await tx.agents.get_by_user(account.id, zendesk_user_id)
    if agent is None:
        raise AgentNotFound(
            f"no agent with Zendesk user id {zendesk_user_id} in {account.subdomain}"
        )
    left = 0 if keep_events else await disconnect(work, agent)
    async with store.transaction() as tx:
        await tx.agents.remove(agent.id)
    return left


async def mark_needs_reconnect(store: Store, agent: Agent) -> Agent:
    """The agent's calendar refused their authorization: they must connect it again."""
    async with store.transaction() as tx:
        await tx.agents.set_status(agent.id, AgentStatus.NEEDS_RECONNECT, LOST)
        updated = await tx.agents.get(agent.id)
    return updated or agent
