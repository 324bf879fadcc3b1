"""The background work of a zdcal process.

* Notified tickets: collected for a short window, re-read with show_many, applied;
  the calendar requests this costs are spread evenly over time (:class:`CalendarBudget`).
* A periodic sweep per account (the incremental export) catches what notifications
  missed; a periodic verify repairs calendar drift. Failed tickets are retried as soon
  as their retry time comes (the scheduler looks every tick), not only at the sweep.
* Requests from the pages (backfill, verify, bootstrap, an agent's resync) run here too.
* With SMTP configured, the mail outbox is sent (:mod:`zdcal.live.mail_delivery`).
* Agents' calendar changes are read when their calendar pushes a notice, and, for
  backends that cannot push (CalDAV), every ``caldav_poll_seconds``: both queue the
  agent in ``pending_calendar_reads``, which the calendar-changes loop reads.

All work on an account holds that account's lock. Stopping lets the unit of work in
flight finish; notifications not yet applied stay in the queue table for next time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zdcal.calendars.registry import DEFAULT_BACKEND
from zdcal.calendars.registry import names as calendar_backend_names
from zdcal.http.pacing import Rate
from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.locks import AccountBusy
from zdcal.live.mail_delivery import MailDelivery
from zdcal.live.metrics import Metrics
from zdcal.live.services import Services
from zdcal.mail import SmtpServer
from zdcal.store import AccountNotFound, RunCounts, RunKind
from zdcal.sync.calendar_moves import TicketUpdateBudget, read_calendar_changes
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport

log = logging.getLogger(__name__)

Work = Callable[[AccountSync], Awaitable[Any]]

NOTIFIED_PER_READ = 1000
"""Tickets taken from the queue at once (re-read with show_many, 100 a request)."""
MAIL_INTERVAL_SECONDS = 10.0
"""How often the mail outbox is looked at (mail is never urgent to the second)."""
# The runs whose latest result the admin page shows, by the name the worker gives them.
RECORDED_RUNS = {"sweep": RunKind.SWEEP, "verify": RunKind.VERIFY}

BUDGET_SHARE = 0.9
"""Share of the calendar API's sustained rate that notifications may use on average."""


class CalendarBudget:
    """Paces the notification worker to what the calendar API allows in the long run.

    Cronofy allows 50 requests a second but only 500 a minute. Left alone, a stream of
    notifications for many agents costs about one request per change (each agent's
    batch holds little), spends the minute's 500 in a few seconds, and then every write
    waits for the window to slide: up to a minute. A token bucket spreads the spending
    instead: it refills at ``share`` of the tightest window's rate and holds half of the
    rest of that window's allowance, so even with requests charged late (the budget
    learns of a sweep's requests at the next cycle) the process stays inside the window.
    Every calendar request of the process is charged, but only the notification worker
    waits for the balance: while it refills, notifications pile up in the queue and the
    next cycle writes them in fewer, fuller batches. Latency then settles near
    (agents with changes) / (refill rate) instead of stalling.
    """

    def __init__(
        self,
        rates: Sequence[Rate],
        *,
        share: float = BUDGET_SHARE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        tightest = min(rates, key=lambda rate: rate.requests / rate.per_seconds)
        self.refill_per_second = share * tightest.requests / tightest.per_seconds
        self.capacity = max(1.0, (1.0 - share) * tightest.requests / 2)
        self._monotonic = monotonic
        self._tokens = self.capacity
        self._updated = monotonic()
        self._charged = 0.0

    def observe(self, requests_so_far: float) -> None:
        """Charge the requests sent since the last call (``requests_so_far`` only grows;
        the balance may go below zero)."""
        self._refill()
        self._tokens -= max(0.0, requests_so_far - self._charged)
        self._charged = max(self._charged, requests_so_far)

    def seconds_until_ready(self) -> float:
        """How long the next cycle should wait for the balance to be positive again."""
        self._refill()
        return max(0.0, -self._tokens / self.refill_per_second)

    def _refill(self) -> None:
        now = self._monotonic()
        elapsed, self._updated = now - self._updated, now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)


def calendar_requests(metrics: Metrics, backend: str = DEFAULT_BACKEND) -> float:
    """The responses of one calendar backend's API this process has counted so far, all
    statuses together (each backend's HTTP pool is labelled with its name). Only the
    budgeted backend's count: another backend's requests (CalDAV's polls) go to other
    servers and spend nothing of its limits."""
    return sum(
        sample.value
        for family in metrics.api_requests.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("api") == backend
    )


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
    ) -> None:
        self.services = services
        self.mail_interval = mail_interval
        self.poll_interval = poll_interval or services.settings.caldav_poll_seconds
        self.collect_window = collect_window
        self.sweep_interval = sweep_interval or services.settings.sweep_interval_seconds
        self.verify_interval = verify_interval or services.settings.verify_interval_seconds
        self.channel_interval = services.settings.channel_renewal_seconds
        self.tick = tick
        self._wake = asyncio.Event()
        self._calendar_wake = asyncio.Event()
        self._move_budget = TicketUpdateBudget()
        self._stopping = asyncio.Event()
        self._requests: asyncio.Queue[tuple[str, int, Work]] = asyncio.Queue()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[int, AccountProgress] = {}
        self.calendar_budget = CalendarBudget(
            services.runtime.calendar_limiter(DEFAULT_BACKEND).rates
        )

    # Lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
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

    def progress(self, account_id: int) -> dict[str, Any]:
        return self._progress_of(account_id).as_dict()

    def request_backfill(self, account_id: int) -> None:
        self._requests.put_nowait(("sweep", account_id, lambda sync: sync.sweep()))

    def request_verify(self, account_id: int) -> None:
        self._requests.put_nowait(("verify", account_id, lambda sync: sync.verify()))

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None:
        self._requests.put_nowait(
            ("agent sync", account_id, lambda sync: sync.sync_agent(zendesk_user_id))
        )

    def request_bootstrap(self, account_id: int) -> None:
        async def work(sync: AccountSync) -> None:
            await bootstrap_account(self.services, account_id, self.services.settings.public_url)

        self._requests.put_nowait(("bootstrap", account_id, work))

    # Loops ------------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

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
            await self._sleep(self.collect_window)
            self._wake.clear()
            try:
                async with self.services.store.transaction() as tx:
                    accounts = await tx.notifications.accounts_waiting()
                    self.services.metrics.queue_depth.set(await tx.notifications.depth())
            except Exception:
                log.exception("could not read the notification queue")
                await self._sleep(self.tick)
                continue
            for account_id in accounts:
                if self._stopping.is_set():
                    return
                await self._run(account_id, "notifications", self._drain, wait=0.0)

    async def _drain(self, sync: AccountSync) -> None:
        while not self._stopping.is_set():
            # Waiting before the take lets the batch grow while the budget refills.
            self.calendar_budget.observe(calendar_requests(self.services.metrics))
            pause = self.calendar_budget.seconds_until_ready()
            if pause > 0:
                await self._sleep(pause)
                if self._stopping.is_set():
                    return
            async with self.services.store.transaction() as tx:
                batch = await tx.notifications.take(sync.account.id, limit=NOTIFIED_PER_READ)
            if not batch.ticket_ids:
                return
            await sync.refresh(batch.ticket_ids)
            async with self.services.store.transaction() as tx:
                await tx.notifications.done(batch)
            if len(batch.ticket_ids) < NOTIFIED_PER_READ:
                # What came in meanwhile waits for the next collect window: a flood of
                # notifications of one ticket (replays with made-up invocation ids) so
                # costs at most one re-read per window.
                return

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
                await self._run(account_id, "calendar changes", self._reader(agents), wait=5.0)

    async def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.queue_polls()
            except Exception:
                log.exception("could not queue the polled calendars' reads")
            await self._sleep(self.poll_interval)

    async def queue_polls(self) -> int:
        """Queue a read of every writable agent's calendar whose backend is polled, not
        pushed (its capabilities say); returns how many were queued."""
        calendars = self.services.calendars
        polled = {
            name for name in calendar_backend_names()
            if not calendars.backend(name).capabilities.push
        }
        queued = 0
        async with self.services.store.transaction() as tx:
            for account in await tx.accounts.all():
                for agent in await tx.agents.list_active_with_calendar(account.id):
                    if agent.calendar_backend in polled:
                        await tx.calendar_reads.add(account.id, agent.zendesk_user_id)
                        queued += 1
        if queued:
            self.notify_calendar()
        return queued

    def _reader(self, agents: list[tuple[int, datetime]]) -> Work:
        """One unit of work reading several agents' calendars of one account at once:
        their calendars are independent, so they are read concurrently."""

        async def read_one(sync: AccountSync, user_id: int, received_at: datetime) -> None:
            async with self.services.store.transaction() as tx:
                agent = await tx.agents.get_by_user(sync.account.id, user_id)
            if agent is not None:
                await read_calendar_changes(sync, agent, self._move_budget)
            async with self.services.store.transaction() as tx:
                await tx.calendar_reads.done(sync.account.id, user_id, received_at)

        async def read_all(sync: AccountSync) -> None:
            await asyncio.gather(*(read_one(sync, u, r) for u, r in agents))

        return read_all

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
                    await self._run(account.id, "sweep", self._sweep, wait=0.0)
                elif account.id in retries_due:
                    # At the time the pages announced, not at the next sweep.
                    await self._run(account.id, "retry", self._retry, wait=0.0)
                if self._due(progress.last_verify, self.verify_interval, now):
                    if progress.last_verify is None:
                        progress.last_verify = now  # first verify one interval after start
                    else:
                        await self._run(account.id, "verify", self._verify, wait=0.0)
                if self._due(progress.last_channel_check, self.channel_interval, now):
                    await self._run(account.id, "channel renewal", self._renew_channels,
                                    wait=0.0)
                if account.last_webhook_at or progress.last_sweep:
                    lag = (now - (progress.last_sweep or now)).total_seconds()
                    self.services.metrics.sync_lag.labels(account.subdomain).set(lag)
            await self._sleep(self.tick)

    @staticmethod
    def _due(last: datetime | None, interval: float, now: datetime) -> bool:
        return last is None or (now - last).total_seconds() >= interval

    async def _sweep(self, sync: AccountSync) -> None:
        await sync.sweep()
        await sync.retry_failed()
        self._progress_of(sync.account.id).last_sweep = self.services.clock.now()

    @staticmethod
    async def _retry(sync: AccountSync) -> None:
        await sync.retry_failed()

    async def _renew_channels(self, sync: AccountSync) -> None:
        await sync.renew_channels()
        self._progress_of(sync.account.id).last_channel_check = self.services.clock.now()

    async def _verify(self, sync: AccountSync) -> None:
        await sync.verify()
        self._progress_of(sync.account.id).last_verify = self.services.clock.now()

    async def _mail_loop(self, delivery: MailDelivery) -> None:
        # Its own loop: a slow or unreachable SMTP server never holds back any sync.
        while not self._stopping.is_set():
            try:
                await delivery.run_once()
            except Exception:
                log.exception("mail delivery failed; trying again later")
            await self._sleep(self.mail_interval)

    async def _request_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                name, account_id, work = await asyncio.wait_for(self._requests.get(), self.tick)
            except TimeoutError:
                continue
            await self._run(account_id, name, work, wait=30.0)

    async def _run(self, account_id: int, name: str, work: Work, *, wait: float) -> None:
        """Run one unit of work on an account under its lock; never let it kill a loop."""
        progress = self._progress_of(account_id)
        report = progress.report if name == "sweep" else SyncReport()
        if name == "sweep":
            progress.report = report = SyncReport()
        progress.running = name
        started = self.services.clock.now()
        try:
            async with self.services.account_work(account_id, wait=wait, report=report) as sync:
                await work(sync)
            progress.last_error = None
            await self._record_run(account_id, name, started, report, None)
        except AccountBusy:
            log.info("account %s busy elsewhere; %s postponed", account_id, name)
        except Exception as exc:
            progress.last_error = f"{name}: {exc}"
            log.exception("%s of account %s failed", name, account_id)
            if not isinstance(exc, AccountNotFound):
                await self._record_run(account_id, name, started, report, str(exc))
        finally:
            progress.running = None

    async def _record_run(
        self, account_id: int, name: str, started: datetime, report: SyncReport, error: str | None
    ) -> None:
        """Keep what a sweep or verify did for the admin page (other work is not shown)."""
        if name not in RECORDED_RUNS:
            return
        counts = RunCounts(
            tickets_read=report.tickets_read,
            events_created=report.events_created,
            events_updated=report.events_updated,
            events_deleted=report.events_deleted,
            events_failed=report.events_failed,
        )
        try:
            async with self.services.store.transaction() as tx:
                await tx.sync_runs.record(
                    account_id, RECORDED_RUNS[name], started_at=started, counts=counts, error=error
                )
        except Exception:  # the run itself is done; only its record for the page is lost
            log.exception("could not record the %s of account %s", name, account_id)

    def _progress_of(self, account_id: int) -> AccountProgress:
        return self._progress.setdefault(account_id, AccountProgress())
