"""The settings an agent or an admin chooses: an agent's event style and two-way setting,
the account's default style, two-way default and due-date reading.

Each is stored in its own transaction here; the events that must change are rewritten at
once (an agent's own style) or by the background workers (``later``), never by the caller.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from zdcal.domain import (
    DueDateReading,
    InvalidTwoWayChoice,
    TwoWayChoice,
    describe_two_way,
    event_style_from_options,
    two_way_in_effect,
)
from zdcal.live.locks import AccountBusy
from zdcal.live.services import Services
from zdcal.store import Account, Agent, EventStyleOptions, Store
from zdcal.sync.due_dates import (
    choose_due_date_reading as store_due_date_reading,
)
from zdcal.sync.due_dates import (
    due_date_rule,
    refresh_account_time_zone,
)
from zdcal.usecases.errors import AgentNotFound
from zdcal.zendesk.errors import ZendeskError

log = logging.getLogger(__name__)

STYLE_LOCK_WAIT = 15.0  # seconds an agent's style change waits for the account's other work
ZONE_READ_TIMEOUT = 5.0  # seconds Zendesk gets to tell the account's time zone


class AgentSyncRequests(Protocol):
    """Where work for later goes: the background workers (``zdcal.jobs.Scheduler``)."""

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None: ...


# An agent's own settings -------------------------------------------------------------------


@dataclass(frozen=True)
class StyleSaved:
    """What saving an agent's style did to their events."""

    events_failed: int  # events the calendar refused to change (the task list says why)
    deferred: bool  # the account was busy: the workers rewrite the events soon


async def save_agent_style(
    services: Services, account: Account, agent: Agent, style: EventStyleOptions,
    later: AgentSyncRequests, *, wait: float = STYLE_LOCK_WAIT,
) -> StyleSaved:
    """Store ``agent``'s event style and rewrite their events now, or have the workers do
    it when the account stays busy for ``wait`` seconds. A style the rules refuse raises
    :class:`zdcal.domain.InvalidEventStyle` before anything is stored."""
    event_style_from_options(style)
    async with services.store.transaction() as tx:
        await tx.agents.set_style(agent.id, style)
    if not agent.can_receive_events:
        return StyleSaved(0, deferred=False)
    try:
        async with services.account_work(account.id, wait=wait) as sync:
            await sync.sync_agent(agent.zendesk_user_id)
            return StyleSaved(sync.report.events_failed, deferred=False)
    except AccountBusy:
        later.request_agent_sync(account.id, agent.zendesk_user_id)
        return StyleSaved(0, deferred=True)


@dataclass(frozen=True)
class TwoWaySetting:
    """An agent's two-way setting as stored, and the account default it may follow."""

    agent: Agent
    own: bool | None  # None: follows the account default
    account_default: bool

    @property
    def in_effect(self) -> bool:
        """Whether the agent's calendar changes now update Zendesk."""
        return two_way_in_effect(self.own, self.account_default)

    def describe(self) -> str:
        """"on (account default)", "off (own setting)"."""
        return describe_two_way(self.own, self.account_default)


async def set_agent_two_way(
    store: Store, account: Account, zendesk_user_id: int, choice: TwoWayChoice
) -> TwoWaySetting:
    """Store whether the agent's calendar changes update Zendesk: on, off or the default.

    Only the setting changes: the calendar reader consults it for every later move (with
    it off, moved events are put back), so nothing needs resyncing now.
    """
    async with store.transaction() as tx:
        agent = await tx.agents.get_by_user(account.id, zendesk_user_id)
        if agent is None:
            raise AgentNotFound(
                f"no agent with Zendesk user id {zendesk_user_id} in {account.subdomain}"
            )
        await tx.agents.set_two_way(agent.id, choice.stored)
        stored = await tx.accounts.get(account.id) or account
    return TwoWaySetting(agent, choice.stored, stored.two_way_default)


# The account's defaults -------------------------------------------------------------------


async def set_account_two_way_default(
    store: Store, account_id: int, choice: TwoWayChoice
) -> bool:
    """Whether calendar changes update Zendesk for every agent who did not choose; returns
    the stored value. The account's setting is the default itself: ``DEFAULT`` is refused
    (:class:`InvalidTwoWayChoice`)."""
    if choice is TwoWayChoice.DEFAULT:
        raise InvalidTwoWayChoice("the account default is either on or off")
    enabled = choice is TwoWayChoice.ON
    async with store.transaction() as tx:
        await tx.accounts.set_two_way_default(account_id, enabled)
    return enabled


async def set_account_default_style(
    store: Store, account_id: int, style: EventStyleOptions | None, later: AgentSyncRequests
) -> None:
    """The event style of every agent who has not chosen one (``None``: zdcal's own); the
    workers rewrite those agents' events. A style the rules refuse raises
    :class:`zdcal.domain.InvalidEventStyle` before anything is stored."""
    if style:
        event_style_from_options(style)
    async with store.transaction() as tx:
        await tx.accounts.set_default_style(account_id, dict(style) if style else None)
        agents = await tx.agents.for_account(account_id)
    for agent in agents:
        if not agent.style and agent.can_receive_events:
            later.request_agent_sync(account_id, agent.zendesk_user_id)


async def choose_due_date_reading(
    services: Services, account: Account, reading: DueDateReading, later: AgentSyncRequests
) -> None:
    """How the account's ``due_at`` values are read as dates; every agent's events follow.

    The account-zone reading needs the account's zone, read again from Zendesk first.
    Raises :class:`zdcal.sync.due_dates.DueDateChoiceError` when it cannot be kept.
    """
    if reading is DueDateReading.ACCOUNT_ZONE:
        account = await _with_fresh_time_zone(services, account)
    await store_due_date_reading(services.store, account, reading)
    await rewrite_every_agents_events(services.store, account.id, later)


async def account_with_fresh_time_zone(
    services: Services, account: Account, later: AgentSyncRequests
) -> Account:
    """The account with its time zone read again from Zendesk (as stored when Zendesk
    does not answer); when the zone changed and the account reads due dates in it, every
    agent's events are rewritten."""
    fresh = await _with_fresh_time_zone(services, account)
    if (fresh.time_zone != account.time_zone
            and due_date_rule(fresh).reading is DueDateReading.ACCOUNT_ZONE):
        await rewrite_every_agents_events(services.store, account.id, later)
    return fresh


async def rewrite_every_agents_events(
    store: Store, account_id: int, later: AgentSyncRequests
) -> None:
    """Have the workers rewrite the events of every agent who receives them."""
    async with store.transaction() as tx:
        agents = await tx.agents.for_account(account_id)
    for agent in agents:
        if agent.can_receive_events:
            later.request_agent_sync(account_id, agent.zendesk_user_id)


async def _with_fresh_time_zone(services: Services, account: Account) -> Account:
    client = services.runtime.zendesk_client(account, services.zendesk_http)
    try:
        return await asyncio.wait_for(
            refresh_account_time_zone(services.store, account, client), ZONE_READ_TIMEOUT
        )
    except (TimeoutError, ZendeskError) as exc:
        log.info("account %s: time zone not read (%s)", account.id, exc)
        return account
