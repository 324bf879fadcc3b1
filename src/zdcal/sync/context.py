"""What the parts of one account's sync share: the account as last read, the services
they call and the report they fill."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from zdcal.calendars.base import CalendarConnector
from zdcal.clock import Clock
from zdcal.domain import AccountInfo
from zdcal.store import Account, Store
from zdcal.sync.due_dates import account_info
from zdcal.sync.report import SyncReport
from zdcal.zendesk import ZendeskClient


@dataclass
class SyncContext:
    """One account's sync state, shared by its feeds, its writer and its verifier."""

    store: Store
    account: Account
    zendesk: ZendeskClient
    calendars: CalendarConnector
    clock: Clock
    report: SyncReport
    # Agents whose calendars are written (or read back) at the same time.
    agent_slots: asyncio.Semaphore
    # Where calendar push notifications reach zdcal (None: no channels are made).
    public_url: str | None = None
    info: AccountInfo = field(init=False)

    def __post_init__(self) -> None:
        self.info = account_info(self.account)

    def use_account(self, account: Account) -> None:
        """Follow a newer reading of the account (its time zone changed, say)."""
        self.account = account
        self.info = account_info(account)
