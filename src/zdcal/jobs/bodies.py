"""What each background job does, whoever schedules it (docs/scale.md).

Every account job is ``body(sync, ...)`` run by :func:`run_account_job`, which holds the
account (:meth:`Services.account_work`), records sweeps and verifies for the admin page
and never lets a failure escape into the scheduler's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from zdcal.calendars.registry import DEFAULT_BACKEND
from zdcal.calendars.registry import names as calendar_backend_names
from zdcal.http.budgets import Window, WorkClass, working
from zdcal.http.pacing import Rate
from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.locks import AccountBusy
from zdcal.live.metrics import Metrics
from zdcal.live.services import Services
from zdcal.store import AccountNotFound, RunCounts, RunKind
from zdcal.sync.calendar_moves import TicketUpdateBudget, read_calendar_changes
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport

log = logging.getLogger(__name__)

Work = Callable[[AccountSync], Awaitable[Any]]

NOTIFIED_PER_READ = 1000
"""Tickets taken from the queue at once (re-read with show_many, 100 a request)."""
# The runs whose latest result the admin page shows, by the name the job has.
RECORDED_RUNS = {"sweep": RunKind.SWEEP, "verify": RunKind.VERIFY}

BUDGET_SHARE = 0.94
"""Share of the calendar API's sustained rate that notifications may use on average."""


class CalendarBudget:
    """Paces the notification drain to what the calendar API allows in the long run.

    Cronofy allows 50 requests a second but only 500 a minute. Left alone, a stream of
    notifications for many agents costs about one request per change (each agent's
    batch holds little), spends the minute's 500 in a few seconds, and then every write
    waits for the window to slide: up to a minute. A token bucket spreads the spending
    instead. It refills at ``share`` of what the API budget (:mod:`zdcal.http.budgets`)
    admits of a steady stream and holds half of the rest of the window's allowance, so a
    drain that waits for it is seldom held by the API budget itself mid-cycle (that
    hold is what made latency jump). Live calendar requests of the process are charged
    (:func:`calendar_requests`), but only the drain waits for the balance: while it
    refills, notifications pile up in the queue and the next cycle writes them in fewer,
    fuller batches. Latency then settles near (agents with changes) / (refill rate)
    instead of stalling.
    """

    def __init__(
        self,
        rates: Sequence[Rate],
        *,
        share: float = BUDGET_SHARE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        tightest = min((Window(rate) for rate in rates), key=lambda w: w.sustained)
        self.refill_per_second = share * tightest.sustained
        self.capacity = max(1.0, (1.0 - share) * tightest.rate.requests / 2)
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
    """The responses of one calendar backend's API this process has counted so far for
    live work, all statuses together (each backend's HTTP pool is labelled with its name).
    Only the budgeted backend's count: another backend's requests (CalDAV's polls) go to
    other servers and spend nothing of its limits. Only live work's: bulk work is held to
    its share by the API budgets (docs/scale.md), and charging it here made a backfill in
    the same worker hold up another account's drains (bench/backfill_fairness.py)."""
    return sum(
        sample.value
        for family in metrics.api_requests.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("api") == backend
        and sample.labels.get("work") == WorkClass.LIVE.value
    )


class JobPacing:
    """What the bodies share within one process: the notification budget, the budget of
    ticket updates caused by calendar moves, and whether the process is stopping (a
    drain stops between batches then; what is left stays queued)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.calendar_budget = CalendarBudget(
            services.runtime.calendar_limiter(DEFAULT_BACKEND).rates
        )
        self.move_budget = TicketUpdateBudget()
        self.stopping = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the process starts stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


# The bodies -------------------------------------------------------------------------------


def drain(pacing: JobPacing) -> Work:
    """Apply an account's notified tickets: take them from the queue table, re-read them
    with show_many, write the calendars, then mark them done."""

    async def work(sync: AccountSync) -> None:
        services = pacing.services
        while not pacing.stopping.is_set():
            # Waiting before the take lets the batch grow while the budget refills.
            pacing.calendar_budget.observe(calendar_requests(services.metrics))
            pause = pacing.calendar_budget.seconds_until_ready()
            if pause > 0:
                await pacing.sleep(pause)
                if pacing.stopping.is_set():
                    return
            async with services.store.transaction() as tx:
                batch = await tx.notifications.take(sync.account.id, limit=NOTIFIED_PER_READ)
            if not batch.ticket_ids:
                return
            await sync.refresh(batch.ticket_ids)
            async with services.store.transaction() as tx:
                await tx.notifications.done(batch)
            if len(batch.ticket_ids) < NOTIFIED_PER_READ:
                # What came in meanwhile waits for the next round: a flood of
                # notifications of one ticket (replays with made-up invocation ids) so
                # costs at most one re-read per round.
                return

    return work


def read_calendars(pacing: JobPacing, agents: Sequence[tuple[int, datetime]] | None = None) -> Work:
    """Read the calendar changes of an account's agents queued in
    ``pending_calendar_reads`` (``agents``: those (user, received at), or all queued for
    the account). Their calendars are independent, so they are read concurrently."""
    services = pacing.services

    async def read_one(sync: AccountSync, user_id: int, received_at: datetime) -> None:
        async with services.store.transaction() as tx:
            agent = await tx.agents.get_by_user(sync.account.id, user_id)
        if agent is not None:
            await read_calendar_changes(sync, agent, pacing.move_budget)
        async with services.store.transaction() as tx:
            await tx.calendar_reads.done(sync.account.id, user_id, received_at)

    async def read_all(sync: AccountSync) -> None:
        queued = agents
        if queued is None:
            async with services.store.transaction() as tx:
                queued = [(u, r) for a, u, r in await tx.calendar_reads.waiting()
                          if a == sync.account.id]
        await asyncio.gather(*(read_one(sync, u, r) for u, r in queued))

    return read_all


async def sweep(sync: AccountSync) -> None:
    """The incremental export catches what notifications missed, then due retries. Live
    work (the sweep holds the account, so its own live changes wait for it; deletions and
    restores reach zdcal only this way), except an account's first sweep, its backfill,
    which :meth:`~zdcal.sync.feeds.Feeds.sweep` runs as bulk work."""
    await sync.sweep()
    await sync.retry_failed()


async def retry(sync: AccountSync) -> None:
    await sync.retry_failed()


async def verify(sync: AccountSync) -> None:
    with working(WorkClass.BULK, sync.account.id):
        await sync.verify()


async def renew_channels(sync: AccountSync) -> None:
    await sync.renew_channels()


async def backfill(sync: AccountSync) -> None:
    with working(WorkClass.BULK, sync.account.id):
        await sync.sweep()


def agent_sync(zendesk_user_id: int) -> Work:
    async def work(sync: AccountSync) -> None:
        # An agent's resync (calendar connected or changed) writes all of their tasks.
        with working(WorkClass.BULK, sync.account.id):
            await sync.sync_agent(zendesk_user_id)

    return work


def bootstrap(services: Services) -> Work:
    async def work(sync: AccountSync) -> None:
        with working(WorkClass.BULK, sync.account.id):
            await bootstrap_account(services, sync.account.id, services.settings.public_url)

    return work


async def queue_polls(services: Services) -> set[int]:
    """Queue a read of every writable agent's calendar whose backend is polled, not
    pushed (its capabilities say); returns the accounts that got reads queued."""
    calendars = services.calendars
    polled = {
        name for name in calendar_backend_names()
        if not calendars.backend(name).capabilities.push
    }
    accounts: set[int] = set()
    async with services.store.transaction() as tx:
        for account in await tx.accounts.all():
            for agent in await tx.agents.list_active_with_calendar(account.id):
                if agent.calendar_backend in polled:
                    await tx.calendar_reads.add(account.id, agent.zendesk_user_id)
                    accounts.add(account.id)
    return accounts


# Running one --------------------------------------------------------------------------------


async def run_account_job(
    services: Services, account_id: int, name: str, work: Work, *,
    wait: float, report: SyncReport | None = None,
) -> str | None:
    """Run one job on an account, holding the account; never raise.

    Returns None when it succeeded, else why not (``"busy"`` when the account was held
    elsewhere longer than ``wait`` seconds, or the error).
    """
    report = report if report is not None else SyncReport()
    started = services.clock.now()
    try:
        # LIVE unless the body says otherwise; the account takes its turn in the budgets.
        with working(WorkClass.LIVE, account_id):
            async with services.account_work(account_id, wait=wait, report=report) as sync:
                await work(sync)
    except AccountBusy:
        log.info("account %s busy elsewhere; %s postponed", account_id, name)
        return "busy"
    except Exception as exc:
        log.exception("%s of account %s failed", name, account_id)
        if not isinstance(exc, AccountNotFound):
            await _record_run(services, account_id, name, started, report, str(exc))
        return f"{name}: {exc}"
    await _record_run(services, account_id, name, started, report, None)
    return None


async def _record_run(
    services: Services, account_id: int, name: str, started: datetime, report: SyncReport,
    error: str | None,
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
        async with services.store.transaction() as tx:
            await tx.sync_runs.record(
                account_id, RECORDED_RUNS[name], started_at=started, counts=counts, error=error
            )
    except Exception:  # the run itself is done; only its record for the page is lost
        log.exception("could not record the %s of account %s", name, account_id)
