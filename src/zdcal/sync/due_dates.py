"""The account's due-date reading as the service keeps it: the rule the engine applies,
the account's time zone read from Zendesk, an admin's choice, and a live example.

The rule itself is :mod:`zdcal.domain.due_dates`; this module only feeds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from zdcal.domain import (
    AccountInfo,
    DomainError,
    DueDateReading,
    DueDateRule,
    effective_time_zone,
)
from zdcal.domain.agent import zone_for
from zdcal.store import Account, Store
from zdcal.zendesk import ZendeskClient

log = logging.getLogger(__name__)


class DueDateChoiceError(ValueError):
    """An admin's choice of reading that cannot be kept; the message says why."""


def due_date_rule(account: Account) -> DueDateRule:
    """The account's rule. A stored state the rule refuses (the account-zone reading with
    no zone known) falls back to the agent's zone rather than leaving tasks off calendars."""
    try:
        return DueDateRule(DueDateReading(account.due_date_reading), account.time_zone)
    except (DomainError, ValueError) as exc:
        log.warning("account %s: due dates read in the agent's zone (%s)", account.id, exc)
        return DueDateRule()


def account_info(account: Account) -> AccountInfo:
    """The account as the domain rules see it."""
    return AccountInfo(
        key=account.key,
        subdomain=account.subdomain,
        base_url=account.base_url,
        due_dates=due_date_rule(account),
    )


async def refresh_account_time_zone(
    store: Store, account: Account, zendesk: ZendeskClient
) -> Account:
    """Read the account's time zone from Zendesk's account settings and store it when it
    changed; returns the account as now stored. An unknown or missing zone keeps the
    stored one. Raises the client's errors (the caller decides whether they matter)."""
    localization = await zendesk.account_localization()
    zone = localization.iana_time_zone
    try:
        if zone is not None:
            zone_for(zone)
    except DomainError:
        log.warning("account %s: Zendesk's time zone %r is unknown here", account.id, zone)
        zone = None
    if zone is None or zone == account.time_zone:
        return account
    async with store.transaction() as tx:
        await tx.accounts.set_time_zone(account.id, zone)
        stored = await tx.accounts.get(account.id)
    return stored or account


async def choose_due_date_reading(
    store: Store, account: Account, reading: DueDateReading
) -> None:
    """Store how the account's due dates are read (the caller then has every agent's
    events re-planned)."""
    if reading is DueDateReading.ACCOUNT_ZONE and account.time_zone is None:
        raise DueDateChoiceError(
            "zdcal could not read the account's time zone from Zendesk; try again"
        )
    async with store.transaction() as tx:
        await tx.accounts.set_due_date_reading(account.id, reading.value)


@dataclass(frozen=True)
class DueDateExample:
    """One of the account's own open tasks, and the date each reading shows it on."""

    ticket_id: int
    due_at: datetime
    agent_name: str | None  # None: the assignee is not a zdcal agent
    agent_time_zone: str
    shown_on: dict[DueDateReading, date]  # no account-zone entry while that zone is unknown


async def due_date_example(store: Store, account: Account) -> DueDateExample | None:
    """The most recently updated open task of the mirror (one of a zdcal agent's when
    there is one), read by each rule; ``None`` when the account has no open task."""
    async with store.transaction() as tx:
        agents = {a.zendesk_user_id: a for a in await tx.agents.for_account(account.id)}
        task = await tx.tickets.latest_open_task(account.id, list(agents))
        if task is None:
            task = await tx.tickets.latest_open_task(account.id)
    if task is None or task.due_at is None:
        return None
    agent = agents.get(task.assignee_id) if task.assignee_id is not None else None
    # An assignee zdcal does not know is shown as an agent living in the account's zone.
    zone_name = (
        agent.effective_time_zone
        if agent is not None else effective_time_zone(account.time_zone, None)
    )
    zone = zone_for(zone_name)
    shown_on = {}
    for reading in DueDateReading:
        try:
            rule = DueDateRule(reading, account.time_zone)
        except DomainError:
            continue
        shown_on[reading] = rule.due_date(task.due_at, zone)
    return DueDateExample(task.ticket_id, task.due_at, agent.name if agent else None,
                          zone_name, shown_on)
