"""One running simulator: its config, clock, memory, knobs, counters and push sender."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from zdcal.clock import SystemClock
from zdcal.sandbox.cronofy.config import CronofySimConfig
from zdcal.sandbox.cronofy.event_query import PageBook
from zdcal.sandbox.cronofy.model import Account, StoredEvent
from zdcal.sandbox.cronofy.notifications import NotificationSender
from zdcal.sandbox.cronofy.rate_limit import ApplicationRateLimiter
from zdcal.sandbox.cronofy.request_stats import RequestStats
from zdcal.sandbox.cronofy.seeding import apply_seed, default_seed
from zdcal.sandbox.cronofy.store import SandboxState
from zdcal.sandbox.faults import FaultInjector


class CronofySimulator:
    """Shared by the API, OAuth and control routes of one app."""

    def __init__(self, config: CronofySimConfig) -> None:
        self.config = config
        self.injector = FaultInjector(config.faults)
        self.clock = SystemClock(config.faults.clock_offset_seconds)
        self.state = SandboxState()
        self.pages = PageBook(config.page_size)
        self.stats = RequestStats()
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

    def now(self) -> datetime:
        return self.clock.now()

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

    def set_clock_offset(self, seconds: float) -> None:
        """Shift the clock; the ``clock_offset_seconds`` fault knob follows."""
        self.clock.offset_seconds = seconds
        self.injector.faults.clock_offset_seconds = seconds

    def configure_faults(self, values: dict[str, Any]) -> None:
        self.injector.configure(values)
        self.clock.offset_seconds = self.injector.faults.clock_offset_seconds

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
