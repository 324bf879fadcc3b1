"""The background work as procrastinate jobs on PostgreSQL (docs/scale.md).

Any number of worker processes (``zdcal worker``, or the one inside ``zdcal serve``)
take jobs from PostgreSQL. What keeps the work right across them:

* every account job carries ``lock="account:<id>"``: procrastinate never starts a job
  while another job with the same lock is running, so one account's work never runs
  twice at once, and an account's jobs run in the order they were deferred;
* each kind of job is deferred with ``queueing_lock="<kind>:<id>"``: while one waits, the
  next defer of the same kind is refused (``AlreadyEnqueued``) and the waiting job does
  the work of both. A job already running does not count: what arrives meanwhile gets a
  new job, which starts when the running one ends;
* priorities: live work (drain notifications, read pushed calendar changes) first, then
  sweeps and retries, then channel renewals, agent resyncs and bootstraps, then
  backfills and verifies. Within one account (one lock) procrastinate also runs the
  higher priority first, so a steady stream of live changes would keep that account's
  sweeps and backfills waiting for ever; a job therefore never overtakes a job of its
  account that has waited :data:`STARVED_AFTER` (:meth:`QueuedWork.defer`);
* one periodic ``tick`` (every :data:`TICK_SECONDS`, deferred once per period whichever
  worker does it) defers the per-account jobs that are due, retries the jobs of
  workers that stopped sending heartbeats (killed mid-job) and prunes old jobs.

The receivers commit notifications as before, then :meth:`QueuedWork.notify` defers the
waiting accounts' drains; the tick defers them too, so a web process dying between the
commit and the defer loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector, sql
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.tasks import Task
from procrastinate.worker import Worker

from zdcal.jobs import bodies
from zdcal.jobs.bodies import JobPacing, Work
from zdcal.live.mail_delivery import MailDelivery
from zdcal.live.services import Services
from zdcal.mail import SmtpServer
from zdcal.store import RunKind
from zdcal.store.engine import libpq_url

log = logging.getLogger(__name__)

QUEUE = "zdcal"
TICK_SECONDS = 10
TICK_CRON = f"* * * * * */{TICK_SECONDS}"  # croniter: seconds are the sixth field
COLLECT_WINDOW = 0.2
"""Seconds the web tier lets notifications gather before deferring the drains."""
LEASE_WAIT = 30.0
"""Seconds a job waits for an account a CLI command holds before it is put off."""
BUSY_DELAY = timedelta(seconds=5)
KEEP_FINISHED_HOURS = 24
STALLED_AFTER_SECONDS = 5.0
"""A worker whose last heartbeat is older is taken for dead and its jobs run again:
short, because a dead worker's running job holds its account's lock (all that
account's jobs wait). A worker only stalled (not dead) whose job is run again meanwhile
is still kept off the account by the account lease (:mod:`zdcal.live.locks`)."""
HEARTBEAT_SECONDS = 1.0
HEARTBEAT_QUERY = sql.queries["update_heartbeat"]
"""procrastinate's own statement, so the beat follows its schema's version."""
STARVED_AFTER = timedelta(seconds=30)
"""A job of an account waiting longer than this is not overtaken by the account's newer
jobs of higher priority: they are deferred at its priority, after it."""
FETCH_POLL_SECONDS = 0.5
"""How often an idle worker asks for a job without being told of a new one. A job held
back by its account's lock (the account's previous job still running) is taken only at
such a look: nothing wakes the worker when that job ends. procrastinate's 5 s made an
account's next drain wait up to 5 s after the one before (a crashed process's restart
took 17 s to catch up once, in tests/live/test_crash_resume.py)."""
RECOVERY_SECONDS = 2.0
"""How often each worker looks for jobs of dead workers (one small query)."""
RECOVERY_LOCK = 0x7A64_6361_6C01
"""The PostgreSQL advisory lock held by the one worker looking for stalled jobs."""

# Higher runs first (procrastinate's order).
PRIORITY_LIVE = 30
PRIORITY_SWEEP = 20
PRIORITY_MAINTENANCE = 10
PRIORITY_REQUEST = 0

AccountJob = Callable[..., Awaitable[None]]

# Reads procrastinate's own tables (its schema is pinned with the package, <3.11): the
# jobs of one lock waiting, due, of lower priority, deferred more than N seconds ago.
STARVED_PRIORITY_QUERY = """
SELECT min(jobs.priority) AS priority
  FROM procrastinate_jobs AS jobs
  JOIN procrastinate_events AS deferred
    ON deferred.job_id = jobs.id AND deferred.type = 'deferred'
 WHERE jobs.lock = %(lock)s AND jobs.status = 'todo' AND jobs.priority < %(priority)s
   AND (jobs.scheduled_at IS NULL OR jobs.scheduled_at <= now())
   AND deferred.at <= now() - make_interval(secs => %(seconds)s)
"""


def job_app(database_url: str) -> App:
    """A procrastinate app on zdcal's PostgreSQL database (psycopg 3, like the store)."""
    return App(connector=PsycopgConnector(conninfo=libpq_url(database_url)))


class WorkerHeartbeat(threading.Thread):
    """Keeps a worker's heartbeat fresh from a thread and a connection of its own, for as
    long as the worker is registered: a worker is taken for dead only when its process is.

    procrastinate (3.10) beats from the worker's event loop and stops when a graceful
    stop begins. So a stopping worker still finishing its jobs (upstream: procrastinate
    pull request 1585), or one whose loop a CPU-heavy job held for a few seconds on a
    loaded machine, went :data:`STALLED_AFTER_SECONDS` without a beat; another worker
    then ran its jobs again while they were still running, and the first one's finish
    failed. Beating a worker that has unregistered meanwhile changes no row."""

    def __init__(self, conninfo: str, worker: Worker) -> None:
        super().__init__(name="zdcal-worker-heartbeat", daemon=True)
        self._conninfo = conninfo
        self._worker = worker
        self._stopping = threading.Event()

    def run(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            worker_id = self._worker.worker_id
            if worker_id is None:
                continue
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True,
                                                 connect_timeout=10)
                connection.execute(HEARTBEAT_QUERY, {"worker_id": worker_id})
            except psycopg.Error as exc:
                log.warning("could not update the worker's heartbeat: %s", exc)
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        """Stop beating (the worker has unregistered) and wait for the thread."""
        self._stopping.set()
        self.join()


class QueuedWork:
    """The :class:`zdcal.jobs.scheduler.Scheduler` of PostgreSQL: defers jobs and, with
    ``run_worker``, runs a procrastinate worker in this process too."""

    def __init__(
        self, services: Services, *, run_worker: bool = True, concurrency: int | None = None,
        worker_name: str | None = None, starved_after: timedelta = STARVED_AFTER,
    ) -> None:
        self.services = services
        self.starved_after = starved_after
        settings = services.settings
        self.run_worker = run_worker
        self.concurrency = concurrency or settings.worker_concurrency
        self.worker_name = worker_name or ("serve" if run_worker else "web")
        self.pacing = JobPacing(services)
        self.app = job_app(settings.database_url)
        self._smtp = SmtpServer.from_settings(settings)
        self._wake = asyncio.Event()
        self._calendar_wake = asyncio.Event()
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._spawned: set[asyncio.Task[None]] = set()
        self._opened = False
        self._opening = asyncio.Lock()
        self._tasks: dict[str, Task[..., Any, Any]] = {}
        self._register()

    # The tasks --------------------------------------------------------------------------

    def _register(self) -> None:
        pacing = self.pacing
        kinds: dict[str, tuple[int, Callable[..., Work]]] = {
            "drain": (PRIORITY_LIVE, lambda: bodies.drain(pacing)),
            "read": (PRIORITY_LIVE, lambda: bodies.read_calendars(pacing)),
            "sweep": (PRIORITY_SWEEP, lambda: bodies.sweep),
            "retry": (PRIORITY_SWEEP, lambda: bodies.retry),
            "channel renewal": (PRIORITY_MAINTENANCE, lambda: bodies.renew_channels),
            "agent sync": (PRIORITY_MAINTENANCE, bodies.agent_sync),
            "bootstrap": (PRIORITY_MAINTENANCE, lambda: bodies.bootstrap(self.services)),
            "backfill": (PRIORITY_REQUEST, lambda: bodies.backfill),
            "verify": (PRIORITY_REQUEST, lambda: bodies.verify),
        }
        for kind, (priority, make) in kinds.items():
            self._tasks[kind] = self.app.task(
                name=f"zdcal.{kind.replace(' ', '_')}", queue=QUEUE, priority=priority,
            )(self._account_job(kind, make))

        async def mail() -> None:
            if self._smtp is not None:
                await MailDelivery(self.services, self._smtp).run_once()

        self._tasks["mail"] = self.app.task(
            name="zdcal.mail", queue=QUEUE, priority=PRIORITY_MAINTENANCE, lock="mail",
            queueing_lock="mail",
        )(mail)

        async def tick(timestamp: int) -> None:
            await self.tick(timestamp)

        self.app.periodic(cron=TICK_CRON, periodic_id="tick")(
            self.app.task(name="zdcal.tick", queue=QUEUE, priority=PRIORITY_LIVE,
                          queueing_lock="tick", pass_context=False)(tick)
        )

    def _account_job(self, kind: str, make: Callable[..., Work]) -> AccountJob:
        recorded = "sweep" if kind == "backfill" else kind  # shown as a sweep on the page

        async def job(account_id: int, **arguments: Any) -> None:
            outcome = await bodies.run_account_job(
                self.services, account_id, recorded, make(**arguments), wait=LEASE_WAIT
            )
            if outcome == "busy":  # a CLI command holds the account: again a bit later
                await self.defer(kind, account_id, delay=BUSY_DELAY, **arguments)

        return job

    async def defer(
        self, kind: str, account_id: int, *, delay: timedelta | None = None, **arguments: Any
    ) -> bool:
        """Defer one account job, coalesced with a waiting one of the same kind (and
        arguments); False when one was already waiting."""
        key = ":".join([kind.replace(" ", "_"), str(account_id),
                        *(str(v) for _, v in sorted(arguments.items()))])
        lock, task = f"account:{account_id}", self._tasks[kind]
        deferrer = task.configure(
            lock=lock, queueing_lock=key,
            schedule_in={"seconds": int(delay.total_seconds())} if delay else None,
            priority=await self._starved_priority(lock, task.priority),
        )
        try:
            await deferrer.defer_async(account_id=account_id, **arguments)
        except AlreadyEnqueued:
            return False
        return True

    async def _starved_priority(self, lock: str, priority: int) -> int:
        """``priority``, or lower: that of the lock's oldest job waiting (due, of lower
        priority) for longer than ``starved_after``, so that the new job runs after it."""
        row = await self.app.connector.execute_query_one_async(
            STARVED_PRIORITY_QUERY, lock=lock, priority=priority,
            seconds=self.starved_after.total_seconds(),
        )
        starved = row["priority"]  # min() answers one row, NULL when none waits
        return priority if starved is None else min(priority, int(starved))

    # The periodic tick ---------------------------------------------------------------------

    async def tick(self, timestamp: int) -> None:
        """Defer what is due. ``timestamp`` is the tick's time (the same in every worker),
        so work due every N seconds is deferred at the ticks where it falls due."""
        app, settings = self.app, self.services.settings

        def falls_due(every: float) -> bool:
            return timestamp % max(int(every), TICK_SECONDS) < TICK_SECONDS

        now = self.services.clock.now()
        async with self.services.store.transaction() as tx:
            accounts = await tx.accounts.all()
            waiting = set(await tx.notifications.accounts_waiting())
            self.services.metrics.queue_depth.set(await tx.notifications.depth())
            reads = {account for account, _, _ in await tx.calendar_reads.waiting()}
            retries = set(await tx.failures.accounts_due())
            latest = {a.id: await tx.sync_runs.latest(a.id) for a in accounts}
        if falls_due(settings.caldav_poll_seconds):
            reads |= await bodies.queue_polls(self.services)
        # A sweep running now counts as done: a long one is not followed by another.
        sweeping = {job.lock for job in await app.job_manager.list_jobs_async(
            task="zdcal.sweep", status=Status.DOING.value)}
        for account in accounts:
            sweep = latest[account.id].get(RunKind.SWEEP)
            if f"account:{account.id}" in sweeping:
                pass
            elif sweep is None or (now - sweep.finished_at).total_seconds() >= \
                    settings.sweep_interval_seconds:
                await self.defer("sweep", account.id)
            elif account.id in retries:
                await self.defer("retry", account.id)
            if account.id in waiting:
                await self.defer("drain", account.id)
            if account.id in reads:
                await self.defer("read", account.id)
            if falls_due(settings.verify_interval_seconds):
                await self.defer("verify", account.id)
            if falls_due(settings.channel_renewal_seconds):
                await self.defer("channel renewal", account.id)
            if sweep is not None:
                lag = (now - sweep.finished_at).total_seconds()
                self.services.metrics.sync_lag.labels(account.subdomain).set(lag)
        if self._smtp is not None:
            with contextlib.suppress(AlreadyEnqueued):
                await self._tasks["mail"].defer_async()
        if falls_due(3600):
            await app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, queue=QUEUE)

    async def recover_stalled(self) -> int:
        """Run again the jobs of workers that stopped sending heartbeats (killed
        mid-job); returns how many.

        One worker at a time looks (the others skip their turn): a worker acting on a
        list another worker already acted on would put back to ``todo`` a job that a
        live worker took meanwhile, or end it. One job that cannot be recovered does not
        keep the others waiting."""
        manager = self.app.job_manager
        async with self.services.store.transaction() as tx:
            if not await tx.cluster_locks.try_hold(RECOVERY_LOCK):
                return 0
            stalled = list(await manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_SECONDS
            ))
            for job in stalled:
                try:
                    await self._run_again(job)
                except Exception:
                    log.exception("could not run stalled job %s (%s) again", job.id,
                                  job.task_name)
        return len(stalled)

    async def _run_again(self, job: Job) -> None:
        manager = self.app.job_manager
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # A job of the same kind and account waits already (its queueing lock):
            # that one does the work; this one ends.
            await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
            log.warning("job %s (%s) stalled: its worker is gone; a job waiting does "
                        "its work", job.id, job.task_name)
        else:
            log.warning("job %s (%s) stalled: its worker is gone; running it again",
                        job.id, job.task_name)

    async def _recovery_loop(self) -> None:
        while True:
            await asyncio.sleep(RECOVERY_SECONDS)
            try:
                await self.recover_stalled()
            except Exception:
                log.exception("could not look for stalled jobs")

    # Lifecycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the job engine's connection pool (defers need it)."""
        async with self._opening:  # the loops and the pages' requests open it at once
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    def start(self) -> None:
        """Start deferring what the receivers commit and, with ``run_worker``, a worker."""
        self._loops["defer notifications"] = asyncio.create_task(
            self._defer_loop(self._wake, self._waiting_notifications, "drain"),
            name="zdcal-defer-drains")
        self._loops["defer calendar reads"] = asyncio.create_task(
            self._defer_loop(self._calendar_wake, self._waiting_reads, "read"),
            name="zdcal-defer-reads")
        if self.run_worker:
            self._loops["job worker"] = asyncio.create_task(
                self.run(install_signal_handlers=False), name="zdcal-job-worker")

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        """Run a procrastinate worker until stopped (SIGTERM/SIGINT when
        ``install_signal_handlers``, else cancelling): it finishes the jobs in flight
        (up to ``worker_shutdown_grace_seconds``) before it returns."""
        await self.open()
        # What happened while no worker ran (webhooks lost while zdcal was down) is
        # found by a sweep of every account at once, as the in-process loops do.
        async with self.services.store.transaction() as tx:
            accounts = await tx.accounts.all()
        for account in accounts:
            await self.defer("sweep", account.id)
        worker = Worker(
            app=self.app, queues=[QUEUE], concurrency=self.concurrency,
            name=self.worker_name, wait=True, install_signal_handlers=install_signal_handlers,
            shutdown_graceful_timeout=self.services.settings.worker_shutdown_grace_seconds,
            update_heartbeat_interval=HEARTBEAT_SECONDS,
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
            fetch_job_polling_interval=FETCH_POLL_SECONDS,
        )
        recovery = asyncio.create_task(self._recovery_loop(), name="zdcal-job-recovery")
        heartbeat = WorkerHeartbeat(libpq_url(self.services.settings.database_url), worker)
        heartbeat.start()
        try:
            await worker.run()  # type: ignore[no-untyped-call]  # procrastinate 3.10
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            await asyncio.to_thread(heartbeat.stop)

    async def stop(self, grace: float = 30.0) -> None:
        """Defer the requests in hand, stop deferring, let the worker finish its jobs
        (cancelling procrastinate's worker is its graceful stop), close the pool."""
        self.pacing.stopping.set()
        if self._spawned:  # the pages' requests being deferred: a moment each
            await asyncio.wait(list(self._spawned), timeout=grace)
        for task in self._loops.values():
            task.cancel()
        for task in [*self._loops.values(), *self._spawned]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._opened:
            await self.app.close_async()
            self._opened = False

    def stopped(self) -> list[str]:
        return [name for name, task in self._loops.items() if task.done()]

    # What the pages and receivers ask -------------------------------------------------------

    def notify(self) -> None:
        self._wake.set()

    def notify_calendar(self) -> None:
        self._calendar_wake.set()

    def request_backfill(self, account_id: int) -> None:
        self._spawn(self.defer("backfill", account_id))

    def request_verify(self, account_id: int) -> None:
        self._spawn(self.defer("verify", account_id))

    def request_agent_sync(self, account_id: int, zendesk_user_id: int) -> None:
        self._spawn(self.defer("agent sync", account_id, zendesk_user_id=zendesk_user_id))

    def request_bootstrap(self, account_id: int) -> None:
        self._spawn(self.defer("bootstrap", account_id))

    async def progress(self, account_id: int) -> dict[str, Any]:
        """What the admin page shows, from the database (the work runs elsewhere)."""
        await self.open()
        running = [job.task_name async for job in self._doing(account_id)]
        async with self.services.store.transaction() as tx:
            latest = await tx.sync_runs.latest(account_id)
        sweep, verify = latest.get(RunKind.SWEEP), latest.get(RunKind.VERIFY)
        counts = sweep.counts if sweep is not None else None
        return {
            "running": running[0].removeprefix("zdcal.") if running else None,
            "tickets_read": counts.tickets_read if counts else 0,
            "events_created": counts.events_created if counts else 0,
            "events_updated": counts.events_updated if counts else 0,
            "events_deleted": counts.events_deleted if counts else 0,
            "events_failed": counts.events_failed if counts else 0,
            "last_sweep": sweep.finished_at if sweep else None,
            "last_verify": verify.finished_at if verify else None,
            "last_error": next((r.error for r in (sweep, verify) if r and r.error), None),
        }

    async def _doing(self, account_id: int) -> Any:
        for job in await self.app.job_manager.list_jobs_async(
            lock=f"account:{account_id}", status=Status.DOING.value
        ):
            yield job

    # Helpers --------------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        async def logged() -> None:
            try:
                await self.open()
                await work
            except Exception:
                log.exception("could not defer a job")

        task = asyncio.create_task(logged())
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    async def _waiting_notifications(self) -> set[int]:
        async with self.services.store.transaction() as tx:
            return set(await tx.notifications.accounts_waiting())

    async def _waiting_reads(self) -> set[int]:
        async with self.services.store.transaction() as tx:
            return {account for account, _, _ in await tx.calendar_reads.waiting()}

    async def _defer_loop(
        self, wake: asyncio.Event, waiting: Callable[[], Awaitable[set[int]]], kind: str
    ) -> None:
        """Defer ``kind`` for the accounts with work ``waiting`` each time ``wake`` is set,
        after letting a burst gather."""
        await self.open()
        while True:
            await wake.wait()
            await asyncio.sleep(COLLECT_WINDOW)
            wake.clear()
            try:
                for account_id in await waiting():
                    await self.defer(kind, account_id)
            except Exception:  # the tick defers them too
                log.exception("could not defer the %s jobs", kind)
