"""The in-process scheduler: the background work as asyncio tasks of the one process.

The single-machine default (SQLite). The bodies are :mod:`zdcal.jobs.bodies`; this
module decides when they run:

* Notified tickets: collected for a short window, then the account is drained; the
  calendar requests this costs are spread evenly over time (``CalendarBudget``).
* A periodic sweep per account (the incremental export) catches what notifications
  missed; a periodic verify repairs calendar drift. Failed tickets are retried as soon
  as their retry time comes (the scheduler looks every tick), not only at the sweep.
* Requests from the pages (backfill, verify, bootstrap, an agent's resync) run here too.
* With SMTP configured, the mail outbox is sent (:mod:`zdcal.live.mail_delivery`).
* Agents' calendar changes are read when their calendar pushes a notice, and, for
  backends that cannot push (CalDAV), every ``caldav_poll_seconds``: both queue the
  agent in ``pending_calendar_reads``, which the calendar-changes loop reads.

All work on an account holds that account's lock (an in-process lock and a lease, so a
CLI command never works on the account at the same time). Stopping lets the unit of
work in flight finish; notifications not yet applied stay in the queue table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zdcal.jobs import bodies
from zdcal.jobs.bodies import JobPacing, Work
from zdcal.live.mail_delivery import MailDelivery
from zdcal.live.services import Services
from zdcal.mail import SmtpServer
from zdcal.sync.report import SyncReport

log = logging.getLogger(__name__)

MAIL_INTERVAL_SECONDS = 10.0
"""How often the mail outbox is looked at (mail is never urgent to the second)."""


@dataclass
class AccountProgress:
    """What the pages show about the work on one account."""

    running: str | None = None
    report: SyncReport = field(default_factory=SyncReport)
    last_sweep: datetime | None = None
    last_verify: datetime | None = None
    last_channel_check: datetime | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "tickets_read": self.report.tickets_read,
            "events_created": self.report.events_created,
            "events_updated": self.report.events_updated,
            "events_deleted": self.report.events_deleted,
            "events_failed": self.report.events_failed,
            "last_sweep": self.last_sweep,
            "last_verify": self.last_verify,
            "last_error": self.last_error,
        }


class Workers:
    """Runs the notification worker, the scheduler and page requests as asyncio tasks."""

    def __init__(
        self,
        services: Services,
        *,
        collect_window: float = 0.5,
        sweep_interval: float | None = None,
        verify_interval: float | None = None,
        tick: float = 1.0,
        mail_interval: float = MAIL_INTERVAL_SECONDS,
        poll_interval: float | None = None,
        run: bool = True,
    ) -> None:
        self.services = services
        self.run = run  # False: start() starts nothing (another process does the work)
        self.mail_interval = mail_interval
        self.poll_interval = poll_interval or services.settings.caldav_poll_seconds
        self.collect_window = collect_window
        self.sweep_interval = sweep_interval or services.settings.sweep_interval_seconds
        self.verify_interval = verify_interval or services.settings.verify_interval_seconds
        self.channel_interval = services.settings.channel_renewal_seconds
        self.tick = tick
        self.pacing = JobPacing(services)
        self.calendar_budget = self.pacing.calendar_budget
        self._wake = asyncio.Event()
        self._calendar_wake = asyncio.Event()
        self._stopping = self.pacing.stopping
        self._requests: asyncio.Queue[tuple[str, int, Work]] = asyncio.Queue()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[int, AccountProgress] = {}

    # Lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if not self.run:
            return
        for name, loop in (
            ("notifications", self._notification_loop),
            ("scheduler", self._scheduler_loop),
            ("requests", self._request_loop),
            ("calendar changes", self._calendar_loop),
            ("calendar polls", self._poll_loop),
        ):
            self._tasks[name] = asyncio.create_task(loop(), name=f"zdcal-{name}")
        server = SmtpServer.from_settings(self.services.settings)
        if server is not None:
            delivery = MailDelivery(self.services, server)
            self._tasks["mail"] = asyncio.create_task(
                self._mail_loop(delivery), name="zdcal-mail"
            )

    async def stop(self, grace: float = 30.0) -> None:
        """Let the work in flight finish (up to ``grace`` seconds), then stop."""
        self._stopping.set()
        self._wake.set()
        tasks = list(self._tasks.values())
        _, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def stopped(self) -> list[str]:
        """Names of loops that died (for readiness)."""
        return [name for name, task in self._tasks.items() if task.done()]

    def notify(self) -> None:
        """New notifications were committed: apply them soon."""
        self._wake.set()

    def notify_calendar(self) -> None:
        """An agent's calendar reported changes to our events: read them soon."""
        self._calendar_wake.set()

    # Requests from the pages ------------------------------------------------------------

    async def progress(self, account_id: int) -> dict[str, Any]:
        return self._progress_of(account_id).as_dict()

    def request_backfill(self, account_id: int) -> None:
        self._requests.put_nowait(("sweep", account_id, bodies.backfill))

    def request_verify(self, account_id: int) -> None:
        self._requests.put_nowait(("verify", account_id, bodies.verify))

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None:
        self._requests.put_nowait(("agent sync", account_id, bodies.agent_sync(zendesk_user_id)))

    def request_bootstrap(self, account_id: int) -> None:
        self._requests.put_nowait(("bootstrap", account_id, bodies.bootstrap(self.services)))

    # Loops ------------------------------------------------------------------------------

    async def _woken(self, wake: asyncio.Event) -> bool:
        """Wait until ``wake`` is set or a tick passed; False once the worker is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), self.tick)
        return not self._stopping.is_set()

    async def _notification_loop(self) -> None:
        while not self._stopping.is_set():
            if not await self._woken(self._wake):
                return
            # Let a burst of notifications gather: one show_many for many tickets.
            await self.pacing.sleep(self.collect_window)
            self._wake.clear()
            try:
                async with self.services.store.transaction() as tx:
                    accounts = await tx.notifications.accounts_waiting()
                    self.services.metrics.queue_depth.set(await tx.notifications.depth())
            except Exception:
                log.exception("could not read the notification queue")
                await self.pacing.sleep(self.tick)
                continue
            for account_id in accounts:
                if self._stopping.is_set():
                    return
                await self._run(account_id, "notifications", bodies.drain(self.pacing), wait=0.0)

    async def _calendar_loop(self) -> None:
        while not self._stopping.is_set():
            if not await self._woken(self._calendar_wake):
                return
            self._calendar_wake.clear()
            try:
                async with self.services.store.transaction() as tx:
                    waiting = await tx.calendar_reads.waiting()
            except Exception:
                log.exception("could not read the calendar change queue")
                continue
            by_account: dict[int, list[tuple[int, datetime]]] = {}
            for account_id, user_id, received_at in waiting:
                by_account.setdefault(account_id, []).append((user_id, received_at))
            for account_id, agents in by_account.items():
                if self._stopping.is_set():
                    return
                await self._run(account_id, "calendar changes",
                                bodies.read_calendars(self.pacing, agents), wait=5.0)

    async def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.queue_polls()
            except Exception:
                log.exception("could not queue the polled calendars' reads")
            await self.pacing.sleep(self.poll_interval)

    async def queue_polls(self) -> int:
        """Queue a read of every polled agent's calendar; returns how many accounts."""
        accounts = await bodies.queue_polls(self.services)
        if accounts:
            self.notify_calendar()
        return len(accounts)

    async def _scheduler_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                async with self.services.store.transaction() as tx:
                    accounts = await tx.accounts.all()
                    retries_due = set(await tx.failures.accounts_due())
            except Exception:
                log.exception("could not list accounts")
                accounts, retries_due = [], set()
            now = self.services.clock.now()
            for account in accounts:
                if self._stopping.is_set():
                    return
                progress = self._progress_of(account.id)
                if self._due(progress.last_sweep, self.sweep_interval, now):
                    if await self._run(account.id, "sweep", bodies.sweep, wait=0.0) is None:
                        progress.last_sweep = self.services.clock.now()
                elif account.id in retries_due:
                    # At the time the pages announced, not at the next sweep.
                    await self._run(account.id, "retry", bodies.retry, wait=0.0)
                if self._due(progress.last_verify, self.verify_interval, now):
                    if progress.last_verify is None:
                        progress.last_verify = now  # first verify one interval after start
                    elif await self._run(account.id, "verify", bodies.verify, wait=0.0) is None:
                        progress.last_verify = self.services.clock.now()
                if self._due(progress.last_channel_check, self.channel_interval, now) and (
                    await self._run(account.id, "channel renewal", bodies.renew_channels,
                                    wait=0.0) is None
                ):
                    progress.last_channel_check = self.services.clock.now()
                if account.last_webhook_at or progress.last_sweep:
                    lag = (now - (progress.last_sweep or now)).total_seconds()
                    self.services.metrics.sync_lag.labels(account.subdomain).set(lag)
            await self.pacing.sleep(self.tick)

    @staticmethod
    def _due(last: datetime | None, interval: float, now: datetime) -> bool:
        return last is None or (now - last).total_seconds() >= interval

    async def _mail_loop(self, delivery: MailDelivery) -> None:
        # Its own loop: a slow or unreachable SMTP server never holds back any sync.
        while not self._stopping.is_set():
            try:
                await delivery.run_once()
            except Exception:
                log.exception("mail delivery failed; trying again later")
            await self.pacing.sleep(self.mail_interval)

    async def _request_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                name, account_id, work = await asyncio.wait_for(self._requests.get(), self.tick)
            except TimeoutError:
                continue
            await self._run(account_id, name, work, wait=30.0)

    async def _run(self, account_id: int, name: str, work: Work, *, wait: float) -> str | None:
        """Run one job on an account under its lock, keeping its progress for the pages."""
        progress = self._progress_of(account_id)
        report = SyncReport()
        if name == "sweep":
            progress.report = report  # the pages show the running sweep's counts
        progress.running = name
        try:
            outcome = await bodies.run_account_job(
                self.services, account_id, name, work, wait=wait, report=report
            )
        finally:
            progress.running = None
        if outcome != "busy":
            progress.last_error = outcome
        return outcome

    def _progress_of(self, account_id: int) -> AccountProgress:
        return self._progress.setdefault(account_id, AccountProgress())
