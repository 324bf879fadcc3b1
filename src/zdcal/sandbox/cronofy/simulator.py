"""One running simulator: its config, clock, memory, knobs, counters and push sender."""

from __future__ import annotations

import copy
from typing import Any

from zdcal.sandbox.cronofy.config import CronofySimConfig
from zdcal.sandbox.cronofy.event_query import PageBook
from zdcal.sandbox.cronofy.model import Account, StoredEvent
from zdcal.sandbox.cronofy.notifications import NotificationSender
from zdcal.sandbox.cronofy.seeding import apply_seed, default_seed
from zdcal.sandbox.cronofy.store import SandboxState
from zdcal.sandbox.faults import FaultedClock
from zdcal.sandbox.rate_limit import ApplicationRateLimiter
from zdcal.sandbox.request_stats import WindowedRequestStats


class CronofySimulator(FaultedClock):
    """Shared by the API, OAuth and control routes of one app."""

    def __init__(self, config: CronofySimConfig) -> None:
        super().__init__(config.faults)
        self.config = config
        self.state = SandboxState()
        self.pages = PageBook(config.page_size)
        self.stats = WindowedRequestStats()
        self.limiter = ApplicationRateLimiter(
            config.requests_per_second, config.requests_per_minute, self.clock
        )
        self.behaviour = config.behaviour()
        self.notifier = NotificationSender(
            config.client_secret,
            self.injector,
            self.clock,
            config.notification_timeout_seconds,
            self.behaviour,
        )
        self.reset()

    def reset(self, *, empty: bool = False) -> list[Account]:
        """Forget everything, then apply the configured (or default) seed unless ``empty``."""
        self.state = SandboxState()
        self.pages.clear()
        self.stats.reset()
        self.limiter.reset()
        self.notifier.log.clear()
        self.behaviour.update(self.config.behaviour().as_dict())
        if empty:
            return []
        seed = self.config.seed if self.config.seed is not None else default_seed(self.now())
        return self.seed(seed)

    def seed(self, seed: object) -> list[Account]:
        """Add a seed's accounts; a bad seed changes nothing (it is tried on a copy first)."""
        candidate = copy.deepcopy(self.state)
        accounts = apply_seed(candidate, seed, self.now(), self.config.access_token_ttl_seconds)
        self.state = candidate
        return accounts

    def notify_change(self, event: StoredEvent) -> None:
        """Tell every channel watching ``event`` that something changed."""
        account_id = self.state.calendars[event.calendar_id].account_id
        for channel in self.state.channels_of(account_id):
            if channel.watches(event):
                self.notifier.send_change(channel, event.updated)

    def notify_profile_disconnected(self, account: Account) -> None:
        self.notify_account(account, {"type": "profile_disconnected"})

    def notify_account(self, account: Account, notification: dict[str, Any]) -> int:
        """Send ``notification`` to every channel of the account; returns how many."""
        channels = self.state.channels_of(account.account_id)
        for channel in channels:
            self.notifier.send(channel, notification)
        return len(channels)
