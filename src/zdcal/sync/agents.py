"""The sync-side mechanics of an agent's calendar connection: store an authorization,
start writing, switch calendar, disconnect, confirm a reported disconnection.

The acts an admin or agent performs (each owning its transaction and its lock, with the
refusals they can meet) are :mod:`zdcal.usecases.calendars`, written over these.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NotRequired, TypedDict, Unpack

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarError,
    CalendarInfo,
    CalendarUnavailable,
)
from zdcal.calendars.registry import DEFAULT_BACKEND
from zdcal.store import (
    Agent,
    Agents,
    AgentStatus,
    CalDAVAccount,
    CalendarTokens,
    EventStyleOptions,
)
from zdcal.sync.engine import AccountSync

log = logging.getLogger(__name__)


# Words in a calendar's name that say it was made for tasks (matched case-insensitively).
TASK_CALENDAR_WORDS = ("zendesk", "task")


class CalendarChoiceError(ValueError):
    """The chosen calendar cannot take events (unknown, read-only or deleted)."""


def choose_calendar(calendars: Sequence[CalendarInfo], wanted: str | None) -> CalendarInfo:
    """The calendar to write to: the one asked for, else the primary writable one."""
    writable = [c for c in calendars if c.writable]
    if wanted is not None:
        for calendar in calendars:
            if calendar.calendar_id == wanted:
                if not calendar.writable:
                    raise CalendarChoiceError(
                        f"calendar {calendar.name!r} is read-only or deleted; choose another"
                    )
                return calendar
        raise CalendarChoiceError(f"the calendar account has no calendar {wanted!r}")
    if not writable:
        raise CalendarChoiceError("the calendar account has no calendar zdcal can write to")
    return next((c for c in writable if c.primary), writable[0])


def suggested_calendar(calendars: Sequence[CalendarInfo]) -> CalendarInfo | None:
    """The calendar an agent is offered first: a writable one named for Zendesk or tasks
    (made for them, like "Zendesk tasks"), else the primary one, else the first writable."""
    writable = [c for c in calendars if c.writable]
    for calendar in writable:
        if any(word in calendar.name.casefold() for word in TASK_CALENDAR_WORDS):
            return calendar
    return next((c for c in writable if c.primary), writable[0] if writable else None)


class CalendarLink(TypedDict):
    """Who the agent is, and the calendar authorization they granted (``calendar_backend``
    defaults to :data:`DEFAULT_BACKEND`)."""

    zendesk_user_id: int
    name: str
    email: str
    time_zone: str
    calendar_account_id: str
    data_center: str
    tokens: CalendarTokens | CalDAVAccount
    calendar_backend: NotRequired[str]


async def connect_agent(
    sync: AccountSync,
    *,
    calendar_id: str | None = None,
    style: EventStyleOptions | None = None,
    **link: Unpack[CalendarLink],
) -> Agent:
    """Store an agent's calendar authorization, pick their calendar and write their tasks.

    Every open task already assigned to them comes from the mirror at once.
    """
    agent = await link_calendar_account(sync, **link)
    return await start_writing(sync, agent, calendar_id, style=style)


async def link_calendar_account(
    sync: AccountSync, *, keep_calendar: bool = True, **link: Unpack[CalendarLink]
) -> Agent:
    """Store an agent's calendar authorization (encrypted) and nothing more.

    With ``keep_calendar`` off, or with another calendar account than before, the agent
    has no calendar chosen afterwards, so nothing is written for them until
    :func:`start_writing`.
    """
    async with sync.store.transaction() as tx:
        agent = await tx.agents.upsert_profile(
            sync.account.id, link["zendesk_user_id"],
            name=link["name"], email=link["email"], time_zone=link["time_zone"],
        )
        await tx.agents.connect(
            agent.id, calendar_account_id=link["calendar_account_id"],
            data_center=link["data_center"], tokens=link["tokens"],
            calendar_backend=link.get("calendar_backend", DEFAULT_BACKEND),
        )
        if not keep_calendar:
            await tx.agents.forget_calendar(agent.id)
        return await _reload(tx.agents, agent.id)


async def start_writing(
    sync: AccountSync,
    agent: Agent,
    calendar_id: str | None,
    *,
    style: EventStyleOptions | None = None,
) -> Agent:
    """Write the agent's open tasks (from the mirror) into the chosen calendar, from now on.

    ``calendar_id`` None takes the primary writable calendar; ``style`` None keeps the
    agent's style (or the account's default). Raises :class:`CalendarChoiceError`.
    """
    chosen = choose_calendar(await sync.calendars.for_agent(agent).calendars(), calendar_id)
    async with sync.store.transaction() as tx:
        await tx.agents.set_calendar(agent.id, chosen.calendar_id, chosen.name)
        if style is not None:
            await tx.agents.set_style(agent.id, style)
        # Reading changes starts from now: moves made before connecting are not ours.
        await tx.agents.set_events_read_at(agent.id, sync.clock.now())
        agent = await _reload(tx.agents, agent.id)
    agent = await _poll_from_now(sync, agent)
    await sync.ensure_channel(agent)
    await sync.sync_agent(agent.zendesk_user_id)
    async with sync.store.transaction() as tx:
        await tx.agents.mark_synced(agent.id)
        return await _reload(tx.agents, agent.id)


async def switch_calendar(sync: AccountSync, agent: Agent, calendar_id: str) -> Agent:
    """Move the agent's task events to another of their calendars."""
    chosen = choose_calendar(await sync.calendars.for_agent(agent).calendars(), calendar_id)
    async with sync.store.transaction() as tx:
        await tx.agents.set_calendar(agent.id, chosen.calendar_id, chosen.name)
        agent = await _reload(tx.agents, agent.id)
    await _poll_from_now(sync, agent)
    # A backend whose channels watch one calendar (Google) replaces the agent's channel.
    await sync.ensure_channel(agent)
    await sync.sync_agent(agent.zendesk_user_id)
    async with sync.store.transaction() as tx:
        return await _reload(tx.agents, agent.id)


async def disconnect_agent(sync: AccountSync, agent: Agent) -> int:
    """Remove the agent's events from their calendar, then forget their tokens.

    Returns how many events could not be removed (their calendar refused access).
    """
    left = await sync.clear_agent(agent.zendesk_user_id) if agent.can_receive_events else 0
    url = sync.channel_url(agent)
    try:
        if url is not None and agent.has_credentials:
            await sync.calendars.close_channel(agent, url)
        await sync.calendars.revoke(agent)
    except CalendarError as exc:
        # The tokens are deleted below either way; a failed revoke only means the
        # calendar account keeps listing zdcal until the agent removes it there.
        log.warning("could not revoke agent %s's calendar authorization: %s", agent.id, exc)
    async with sync.store.transaction() as tx:
        await tx.agents.disconnect(agent.id, "disconnected")
        await tx.agents.set_channel(agent.id, None)
        if left:
            # The calendar cannot be reached; nothing more can be done for those events.
            stale = await tx.entries.for_agent(sync.account.id, agent.zendesk_user_id)
            await tx.entries.delete_many(sync.account.id, stale)
    return left


async def confirm_disconnection(sync: AccountSync, agent: Agent) -> bool:
    """The calendar says the agent's calendar account was disconnected: a hint, since
    such a notice can be replayed. One read with the agent's own token decides; only a
    refusal marks the agent as needing to reconnect. True if it did."""
    try:
        await sync.calendars.for_agent(agent).calendars()
    except CalendarAuthorizationLost as exc:
        log.warning("agent %s must reconnect their calendar: %s", agent.id, exc)
        async with sync.store.transaction() as tx:
            await tx.agents.set_status(
                agent.id, AgentStatus.NEEDS_RECONNECT, "the calendar account was disconnected"
            )
        return True
    except CalendarUnavailable as exc:
        # Unknown either way: the next write to that calendar will tell.
        log.info("could not confirm agent %s's calendar disconnection: %s", agent.id, exc)
    return False


async def _poll_from_now(sync: AccountSync, agent: Agent) -> Agent:
    """For a calendar that is polled, not pushed: remember where it stands now (one
    read), so that the first poll tells an event deleted since from one never written."""
    if sync.calendars.capabilities(agent).push or agent.calendar_id is None:
        return agent
    calendar = sync.calendars.for_agent(agent)
    try:
        async for _ in calendar.managed_events(
            [agent.calendar_id], last_modified=sync.clock.now()
        ):
            pass  # the events of the calendar as it was before zdcal writes there
    except CalendarUnavailable as exc:  # the first poll will then list every member
        log.info("agent %s's calendar not read before writing: %s", agent.id, exc)
        return agent
    state = calendar.read_state()
    if state is None:
        return agent
    async with sync.store.transaction() as tx:
        await tx.agents.set_read_state(agent.id, state)
        return await _reload(tx.agents, agent.id)


async def _reload(agents: Agents, agent_id: int) -> Agent:
    agent = await agents.get(agent_id)
    if agent is None:
        raise LookupError(f"agent {agent_id} disappeared")
    return agent
