"""The scale-out world of the cluster benchmarks (docs/scale.md): a fresh PostgreSQL
database, several Zendesk accounts, the web tier and N worker processes.

Each Zendesk account is a simulator of its own (a ``zdcal sandbox`` process: one simulated
Zendesk is one account); the first one's Cronofy serves the agents of every account, as
Cronofy serves every customer of one application, so its rate limit is the application's.
Agents are numbered across accounts, so calendars and Zendesk user ids never clash.
zdcal runs as real processes: ``zdcal serve --no-workers`` (receivers) and ``zdcal worker``
(jobs), with their settings as ``ZDCAL_*`` variables; this process writes the accounts
and agents straight into the store (onboarding is not measured) and defers a backfill job
as the account-connect page does.

PostgreSQL: ``ZDCAL_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:
5432/postgres``) names the server and a database to connect to; each run creates a
database beside it and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from population import FIRST_AGENT_ID, BenchAgent, install, scenario
from simulators import SimulatorProcess, Task, create_tasks, events_by_id
from zdcal.domain import AccountInfo
from zdcal.domain.account import event_id_for
from zdcal.jobs.queued import QueuedWork
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.background import free_port
from zdcal.settings import Settings
from zdcal.store.engine import libpq_url
from zdcal_serve import ZdcalServeProcess, ZdcalWorkerProcess, served_settings

POSTGRES_URL = os.environ.get(
    "ZDCAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NO_LIMIT = 1_000_000_000
UNLIMITED_ZENDESK = {"requests_per_minute": NO_LIMIT, "incremental_exports_per_minute": NO_LIMIT,
                     "search_exports_per_minute": NO_LIMIT}
UNLIMITED_CRONOFY = {"requests_per_second": NO_LIMIT, "requests_per_minute": NO_LIMIT}


# PostgreSQL ---------------------------------------------------------------------------------


@contextmanager
def fresh_database(prefix: str = "zdcal_bench") -> Iterator[str]:
    """A new database on the server of :data:`POSTGRES_URL` (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    rows(POSTGRES_URL, f'CREATE DATABASE "{name}"', autocommit=True)  # our name: no injection
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        rows(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', autocommit=True)


def rows(
    database_url: str, sql: str, *parameters: object, autocommit: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of one statement on a database (none for a command). A refused connection
    (other work on the server holding every slot: "too many clients") is tried again, for
    up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(libpq_url(database_url), autocommit=autocommit) as db:
                cursor = db.execute(sql, parameters or None)
                return cursor.fetchall() if cursor.description else []
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def written_events(database_url: str) -> dict[int, int]:
    """Events zdcal has written and recorded, by account id (``calendar_entries``)."""
    found = rows(database_url,
                 "SELECT account_id, count(*) FROM calendar_entries GROUP BY account_id")
    return {int(account): int(n) for account, n in found}


def job_counts(database_url: str) -> dict[str, int]:
    """procrastinate's jobs by ``task:status`` (what ran, what failed)."""
    found = rows(database_url,
                 "SELECT task_name, status, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
    return {f"{task}:{status}": int(n) for task, status, n in found}


# The accounts ---------------------------------------------------------------------------------


@dataclass
class BenchAccount:
    """One Zendesk account of the run: its subdomain, agents and simulator; its id and
    key in zdcal once installed; its open tasks once created."""

    subdomain: str
    team: list[BenchAgent]
    sim: SimulatorProcess
    id: int = 0
    key: str = ""
    tasks: list[Task] = field(default_factory=list)


def teams(sizes: list[int]) -> list[list[BenchAgent]]:
    """Agents for accounts of these sizes, numbered across all of them."""
    result, index = [], 0
    for size in sizes:
        result.append([BenchAgent(FIRST_AGENT_ID + i, i) for i in range(index, index + size)])
        index += size
    return result


def subdomain_of(number: int) -> str:
    return f"bench{number}"


@dataclass
class Cluster:
    """The simulators, the database and zdcal's tiers of one run. Use as a context manager;
    :meth:`start_tiers` starts the processes (stopped on exit, then the database dropped)."""

    work_dir: Path
    sizes: list[int]
    zendesk_settings: dict[str, Any] = field(default_factory=dict)
    cronofy_settings: dict[str, Any] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    accounts: list[BenchAccount] = field(default_factory=list, init=False)
    workers: list[ZdcalWorkerProcess] = field(default_factory=list, init=False)
    settings: Settings = field(init=False)
    _stack: ExitStack = field(default_factory=ExitStack, init=False)

    def __enter__(self) -> Cluster:
        try:
            database_url = self._stack.enter_context(fresh_database())
            groups = teams(self.sizes)
            everyone = [agent for group in groups for agent in group]
            for number, team in enumerate(groups):
                directory = self.work_dir / subdomain_of(number)
                directory.mkdir(exist_ok=True)
                world = scenario(
                    team, calendar_team=everyone if number == 0 else [],
                    zendesk_settings={**self.zendesk_settings, "subdomain": subdomain_of(number)},
                    cronofy_settings=self.cronofy_settings,
                )
                sim = self._stack.enter_context(SimulatorProcess(world, directory))
                self.accounts.append(BenchAccount(subdomain_of(number), team, sim))
            port = free_port()
            self.settings = served_settings(self.work_dir, self.cronofy.cronofy_url, port) \
                .model_copy(update={"database_url": database_url})
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    @property
    def cronofy(self) -> SimulatorProcess:
        """The simulator whose Cronofy holds every agent's calendar."""
        return self.accounts[0].sim

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    # Setting up ---------------------------------------------------------------------------

    def create_tasks(self, account: BenchAccount, per_agent: int, due_at: str) -> list[Task]:
        """``per_agent`` open tasks for each of the account's agents in its Zendesk (no
        triggers: only a sweep or backfill finds them)."""
        # Their event ids are made again once the account is installed (its key).
        account.tasks = create_tasks(account.sim, account.team, account.key or "0" * 16,
                                     per_agent=per_agent, due_at=due_at)
        return account.tasks

    async def install(self, *accounts: BenchAccount) -> None:
        """The accounts and their connected agents in zdcal's store."""
        async with await Runtime.open(self.settings) as runtime:
            for account in accounts:
                installed = await install(runtime, account.sim.zendesk_url, account.team,
                                          subdomain=account.subdomain)
                account.id, account.key = installed.id, installed.key
                # The event ids of tasks created before the key was known.
                account.tasks = [Task(t.ticket_id, t.agent, event_id(account.key, t.ticket_id))
                                 for t in account.tasks]

    async def connect(
        self, *accounts: BenchAccount, webhooks: bool = True, backfill: bool = True
    ) -> None:
        """What the account-connect page does, once the tiers run: the accounts in the
        store, then jobs deferred for the workers: (``webhooks``) a bootstrap (webhook and
        trigger in Zendesk, each agent's push channel) and (``backfill``) a backfill."""
        await self.install(*accounts)
        ids = [account.id for account in accounts]
        if webhooks:
            await self.defer("bootstrap", ids)
        if backfill:
            await self.defer("backfill", ids)

    def bootstrapped(self, account: BenchAccount) -> bool:
        """Whether zdcal has made the account's webhook and trigger in its Zendesk."""
        found = rows(self.database_url, "SELECT trigger_id FROM accounts WHERE id = %s",
                     account.id)
        return bool(found) and found[0][0] is not None

    async def defer(self, kind: str, account_ids: list[int]) -> None:
        """Defer a job of this kind for each account, as the web tier's pages do."""
        async with await Runtime.open(self.settings) as runtime:
            services = Services(runtime)
            queued = QueuedWork(services, run_worker=False)
            try:
                await queued.open()
                for account_id in account_ids:
                    await queued.defer(kind, account_id)
            finally:
                await queued.stop()
                await services.close()

    def start_tiers(self, workers: int, concurrency: int | None = None) -> None:
        """The web tier (``zdcal serve --no-workers``) and ``workers`` worker processes."""
        port = int(self.settings.public_url.rsplit(":", 1)[1])
        self._stack.enter_context(ZdcalServeProcess(
            self.settings, self.work_dir, port, workers=False, extra_env=self.extra_env))
        self.add_workers(workers, concurrency)

    def add_workers(self, count: int, concurrency: int | None = None) -> None:
        for _ in range(count):
            worker = ZdcalWorkerProcess(
                self.settings, self.work_dir, f"worker{len(self.workers) + 1}", concurrency,
                self.extra_env,
            )
            self.workers.append(self._stack.enter_context(worker))

    # Watching --------------------------------------------------------------------------------

    def calendar_events(self, account: BenchAccount) -> int:
        """Live events of this account in its agents' calendars (the simulator's view)."""
        prefix = f"zdcal-{account.key}-"
        return sum(
            event.startswith(prefix)
            for agent in account.team
            for event in events_by_id(self.cronofy.cronofy, agent.calendar_id)
        )

    def log_counts(self) -> dict[str, int]:
        """Trouble in zdcal's logs (every process): jobs of workers taken for dead and run
        again, account leases lost, errors logged."""
        text = "\n".join(path.read_text(encoding="utf-8", errors="replace")
                         for path in self.work_dir.glob("zdcal-*.log"))
        return {
            "stalled jobs": text.count("stalled: its worker is gone"),
            "leases lost": text.count("lost the lease on account"),
            "errors": text.count(" ERROR "),
        }

    def worker_calendar_requests(self) -> list[int | None]:
        """Cronofy responses each worker counted (its ``/metrics``), in worker order; None
        for a worker that does not answer (it died: its log says why)."""
        counts: list[int | None] = []
        for worker in self.workers:
            try:
                counts.append(cronofy_responses(worker.metrics()))
            except httpx.HTTPError:
                counts.append(None)
        return counts


def event_id(key: str, ticket_id: int) -> str:
    """zdcal's event id of a ticket of the account with this key."""
    return event_id_for(AccountInfo(key=key, subdomain="bench"), ticket_id)


METRIC_LINE = re.compile(r'^zdcal_api_requests_total\{([^}]*)\} ([0-9.e+]+)$')


def cronofy_responses(metrics: str) -> int:
    """The Cronofy API responses of one process's Prometheus text, every status."""
    return int(sum(
        float(match.group(2))
        for match in map(METRIC_LINE.match, metrics.splitlines())
        if match and 'api="cronofy"' in match.group(1)
    ))


def wait_for(condition: Any, timeout: float, every: float = 0.5, what: str = "") -> float:
    """Poll ``condition()`` until true; seconds waited (TimeoutError after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what or 'condition'} not reached within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def machine_load() -> str:
    """The load averages ``uptime`` shows, to print beside every result."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def cluster_arguments(parser: argparse.ArgumentParser, workers: int | None) -> None:
    """The options every cluster benchmark has (``workers``: the default of
    ``--workers``, None when the script has its own)."""
    if workers is not None:
        parser.add_argument("--workers", type=int, default=workers,
                            help="zdcal worker processes")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="jobs per worker (default: ZDCAL_WORKER_CONCURRENCY's default)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="run in DIR and keep it (the processes' logs)")
    parser.add_argument("--zdcal-env", action="append", default=[], metavar="ZDCAL_X=V",
                        help="a setting for zdcal's processes (ZDCAL_*; repeatable)")


def zdcal_env(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (``--zdcal-env``) for zdcal's processes: settings to try."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("ZDCAL_"):
            raise SystemExit(f"--zdcal-env wants ZDCAL_NAME=VALUE, not {pair!r}")
        env[key] = value
    return env


@contextmanager
def work_directory(keep: Path | None, prefix: str) -> Iterator[Path]:
    """A temporary directory for the run's files, or ``keep`` (made, and left behind with
    the processes' logs to read)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)
