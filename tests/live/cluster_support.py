"""A zdcal cluster for the multi-process tests (tests/live/test_cluster.py): one web-tier
process (``zdcal serve --no-workers``) and worker processes (``zdcal worker``) on one
PostgreSQL database, beside a Cronofy simulator and one Zendesk simulator per account,
all on loopback; and the churn of random ticket histories and calendar moves that runs
against it, with the oracle that says what every calendar should hold."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from zdcal.domain import AccountInfo, AgentTarget, desired_entries, ticket_state_from_api
from zdcal.domain.entries import DesiredEntry
from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.cronofy import create_app as create_cronofy_app
from zdcal.sandbox.cronofy.config import CronofySimConfig
from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import create_app as create_zendesk_app
from zdcal.sandbox.zendesk.config import ZendeskSimConfig
from zdcal.settings import Settings
from zdcal.store import CalendarTokens, ZendeskApiToken, generate_key
from zdcal.store.engine import libpq_url
from zdcal.sync.agents import connect_agent
from zdcal.sync.engine import agent_target
from zdcal.sync.report import SyncReport
from zdcal_testing import free_port

# The Zendesk simulator's default seed: its admin's API token and three agents.
ADMIN_EMAIL, ADMIN_TOKEN = "admin@sandbox.example", "sandbox-admin-token"
NIA, KENJI, LENA = 1002, 1003, 1004
AGENT_NAMES = {NIA: ("Nia Agent", "nia", "America/New_York"),
               KENJI: ("Kenji Agent", "kenji", "Asia/Tokyo")}
CONNECTED = tuple(AGENT_NAMES)
"""The agents connected to a calendar in every account; Lena never is."""
ASSIGNEES: tuple[int | None, ...] = (NIA, KENJI, LENA, None)
FIRST_DAY = date(2030, 9, 1)
STARTUP_SECONDS = 60.0
INSTALLING_AT_ONCE = 4
"""Accounts set up at once: their admins and agents do not all connect at the same
moment."""


def owner(account: int, user_id: int) -> str:
    """The Cronofy account name of an agent of the ``account``-th Zendesk account."""
    return f"t{account:02d}_{AGENT_NAMES[user_id][1]}"


def calendar_of(account: int, user_id: int) -> str:
    return f"cal_{owner(account, user_id)}"


def cronofy_seed(accounts: int) -> dict[str, Any]:
    """Every connected agent's Cronofy account, one writable primary calendar each, with
    ready tokens (what the consent page would hand out)."""
    return {"accounts": [
        {"account_id": f"acc_{owner(i, user)}", "email": f"{owner(i, user)}@example.test",
         "name": AGENT_NAMES[user][0], "default_tzid": AGENT_NAMES[user][2],
         "access_token": f"access-{owner(i, user)}",
         "refresh_token": f"refresh-{owner(i, user)}",
         "calendars": [{"calendar_id": calendar_of(i, user), "calendar_name": "Work",
                        "primary": True}]}
        for i in range(accounts) for user in CONNECTED
    ]}


@dataclass
class Tenant:
    """One Zendesk account: its simulator, an admin client on it, and zdcal's view of it."""

    index: int
    server: ServerThread
    zd: httpx.Client
    account_id: int = 0
    """zdcal's id of the account."""
    info: AccountInfo | None = None
    targets: dict[int, AgentTarget] = field(default_factory=dict)

    @property
    def subdomain(self) -> str:
        return f"acme{self.index:02d}"

    @property
    def calendars(self) -> list[str]:
        return [calendar_of(self.index, user) for user in CONNECTED]

    def desired(self) -> list[DesiredEntry]:
        """What the rules say this account's calendars hold, from Zendesk's state now."""
        assert self.info is not None
        state = self.zd.get("/_sandbox/state").json()
        tickets = [ticket_state_from_api(t) for t in state["tickets"]]
        return desired_entries(self.info, tickets, self.targets)


Placed = dict[str, dict[str, tuple[str, str, str]]]
"""{calendar: {event id: (summary, start, end)}}."""


def expected_view(tenant: Tenant) -> Placed:
    view: Placed = {c: {} for c in tenant.calendars}
    for entry in tenant.desired():
        body = entry.body
        view.setdefault(entry.calendar_id, {})[entry.event_id] = (
            body["summary"], entry.event_start, str(body["end"]))
    return view


class Simulators:
    """A Cronofy simulator and ``accounts`` Zendesk simulators, on loopback in this process,
    with their real rate limits (the configs' defaults)."""

    def __init__(self, accounts: int) -> None:
        self.cronofy_config = CronofySimConfig(seed=cronofy_seed(accounts))
        self.cronofy = ServerThread(create_cronofy_app(self.cronofy_config))
        self.cr = httpx.Client(timeout=30)
        self.tenants = [
            Tenant(i, ServerThread(create_zendesk_app(ZendeskSimConfig(
                subdomain=f"acme{i:02d}", account_id=9_100_000 + i))), httpx.Client())
            for i in range(accounts)
        ]

    @contextmanager
    def running(self) -> Iterator[Simulators]:
        with ExitStack() as stack:
            self.cronofy.start()
            stack.callback(self.cronofy.stop)
            stack.callback(self.cr.close)
            self.cr.base_url = httpx.URL(self.cronofy.base_url)
            for tenant in self.tenants:
                tenant.server.start()
                stack.callback(tenant.server.stop)
                stack.callback(tenant.zd.close)
                tenant.zd.base_url = httpx.URL(tenant.server.base_url)
                tenant.zd.auth = httpx.BasicAuth(f"{ADMIN_EMAIL}/token", ADMIN_TOKEN)
                tenant.zd.timeout = httpx.Timeout(30)
            yield self

    def events(self, calendar_id: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The managed events of a simulated calendar, as its control API shows them."""
        response = self.cr.get(f"/_sandbox/calendars/{calendar_id}/events",
                               params={"include_deleted": str(include_deleted).lower()})
        response.raise_for_status()
        return [e for e in response.json()["events"] if e["managed"]]

    def placed(self, tenant: Tenant) -> Placed:
        """What the tenant's agents' calendars hold now (the events as they stand, moves
        made by the agents included)."""
        return {c: {e["event_id"]: (e["sent"]["summary"], e["start"], e["end"])
                    for e in self.events(c) if not e["deleted"]}
                for c in tenant.calendars}

    def refusals(self) -> dict[str, int]:
        """429 answers so far, per simulator: Cronofy and each Zendesk account."""
        found = {"cronofy": int(self.cr.get("/_sandbox/stats").json()["by_status"].get("429", 0))}
        for tenant in self.tenants:
            stats = tenant.zd.get("/_sandbox/stats").json()["by_status"]
            found[tenant.subdomain] = int(stats.get("429", 0))
        return found


def settings_for(database_url: str, data_dir: Path, sims: Simulators, public_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir, database_url=database_url, secret_key=generate_key(),
        public_url=public_url,
        cronofy_api_url=sims.cronofy.base_url, cronofy_app_url=sims.cronofy.base_url,
        cronofy_client_id=sims.cronofy_config.client_id,
        cronofy_client_secret=sims.cronofy_config.client_secret,
    )


def process_env(settings: Settings) -> dict[str, str]:
    key = settings.secret_key
    assert key is not None
    return {
        **os.environ,
        "ZDCAL_DATA_DIR": str(settings.data_dir),
        "ZDCAL_DATABASE_URL": settings.database_url,
        "ZDCAL_SECRET_KEY": key.get_secret_value(),
        "ZDCAL_PUBLIC_URL": settings.public_url,
        "ZDCAL_CRONOFY_API_URL": settings.cronofy_api_url,
        "ZDCAL_CRONOFY_APP_URL": settings.cronofy_app_url,
        "ZDCAL_CRONOFY_CLIENT_ID": settings.cronofy_client_id,
        "ZDCAL_CRONOFY_CLIENT_SECRET": settings.cronofy_client_secret.get_secret_value(),
        "ZDCAL_LOG_FORMAT": "text",
    }


async def _install_tenant(services: Services, runtime: Runtime, tenant: Tenant) -> None:
    async with runtime.store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain=tenant.subdomain, base_url=tenant.server.base_url,
            admin_email=ADMIN_EMAIL, credentials=ZendeskApiToken(ADMIN_EMAIL, ADMIN_TOKEN),
        )
    await bootstrap_account(services, account.id, runtime.settings.public_url)
    async with runtime.sync_session(account, SyncReport()) as sync:
        for user, (name, _, zone) in AGENT_NAMES.items():
            who = owner(tenant.index, user)
            await connect_agent(
                sync, zendesk_user_id=user, name=name, email=f"{who}@example.test",
                time_zone=zone, calendar_account_id=f"acc_{who}", data_center="us",
                tokens=CalendarTokens(f"access-{who}", f"refresh-{who}", None),
                calendar_backend="cronofy", calendar_id=calendar_of(tenant.index, user),
            )
    async with runtime.store.transaction() as tx:
        stored = await tx.accounts.get(account.id)
        assert stored is not None
        agents = await tx.agents.for_account(account.id)
    tenant.account_id = account.id
    tenant.info = AccountInfo(key=stored.key, subdomain=stored.subdomain)
    tenant.targets = {a.zendesk_user_id: t for a in agents
                      if (t := agent_target(a, stored.default_style)) is not None}


def install(settings: Settings, tenants: list[Tenant]) -> None:
    """Add every account, create its webhook and trigger (pointing at the web tier) and
    connect its agents' calendars: what an admin and the agents do on zdcal's pages."""

    async def work() -> None:
        async with await Runtime.open(settings) as runtime:
            services = Services(runtime)
            at_once = asyncio.Semaphore(INSTALLING_AT_ONCE)

            async def one(tenant: Tenant) -> None:
                async with at_once:
                    await _install_tenant(services, runtime, tenant)

            try:
                await asyncio.gather(*(one(t) for t in tenants))
            finally:
                await services.close()

    asyncio.run(work())


def select(database_url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of one query on zdcal's PostgreSQL database."""
    with psycopg.connect(libpq_url(database_url)) as db:
        return db.execute(query, params).fetchall()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Cluster:
    """The web-tier process and the worker processes; every process it ever started is
    stopped by :meth:`stop_all`."""

    def __init__(self, settings: Settings, web_port: int, logs: Path) -> None:
        self.settings = settings
        self.web_port = web_port
        self.logs = logs
        self.env = process_env(settings)
        self.started: list[subprocess.Popen[bytes]] = []
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[tuple[subprocess.Popen[bytes], int]] = []

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "zdcal.cli", *args], env=self.env,
                stdout=subprocess.DEVNULL, stderr=log,
            )
        self.started.append(process)
        return process

    def start_web(self, *, wait: bool = True) -> None:
        self.web = self._spawn(["serve", "--no-workers", "--port", str(self.web_port)], "web")
        if wait:
            self.wait_web()

    def wait_web(self) -> None:
        assert self.web is not None
        self._wait_ready(self.web, f"http://127.0.0.1:{self.web_port}/readyz")

    def start_worker(self, *, wait: bool = True) -> subprocess.Popen[bytes]:
        port = free_port()
        process = self._spawn(
            ["worker", "--concurrency", "4", "--health-port", str(port)],
            f"worker-{len(self.started)}",
        )
        self.workers.append((process, port))
        if wait:
            self.wait_worker(process)
        return process

    def wait_worker(self, process: subprocess.Popen[bytes]) -> None:
        port = next(p for w, p in self.workers if w is process)
        self._wait_ready(process, f"http://127.0.0.1:{port}/readyz")

    def ready_workers(self, at_least: int) -> list[subprocess.Popen[bytes]]:
        """The workers that answer ready, once there are ``at_least`` of them."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            ready = [w for w, port in self.workers
                     if _answers(f"http://127.0.0.1:{port}/readyz")]
            if len(ready) >= at_least:
                return ready
            assert time.monotonic() < deadline, f"only {len(ready)} workers ready"
            time.sleep(0.1)

    def _wait_ready(self, process: subprocess.Popen[bytes], url: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(url):
            assert process.poll() is None, f"{process.args} exited with {process.returncode}"
            assert time.monotonic() < deadline, f"{url} never became ready"
            time.sleep(0.1)

    def kill_worker(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no job finished, no lock released, no heartbeat ended."""
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.workers = [(w, p) for w, p in self.workers if w is not process]

    def stop_worker(self, process: subprocess.Popen[bytes]) -> int:
        """SIGTERM and wait for the graceful stop; its exit status."""
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        self.workers = [(w, p) for w, p in self.workers if w is not process]
        return code

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tracebacks(self) -> list[str]:
        """Each traceback in the processes' logs, with the lines logged before it (to tell
        which process and job it came from)."""
        found = []
        for path in sorted(self.logs.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()
            for number, line in enumerate(lines):
                if "Traceback" in line:
                    found.append("\n".join([f"{path.name}:{number + 1}",
                                            *lines[max(0, number - 15):number + 40]]))
        return found

    def jobs(self) -> dict[str, int]:
        """procrastinate's jobs by status (the periodic tick left out)."""
        found = select(self.settings.database_url,
                       "SELECT status, count(*) FROM procrastinate_jobs"
                       " WHERE task_name <> 'zdcal.tick' GROUP BY status")
        return {str(status): int(n) for status, n in found}

    def running_jobs(self) -> list[str]:
        """The jobs marked running: worker, its heartbeat's age, the job's events (to
        tell a stuck job on failure)."""
        found = select(
            self.settings.database_url,
            "SELECT j.id, j.task_name, j.lock, j.worker_id,"
            " extract(epoch FROM now() - w.last_heartbeat),"
            " (SELECT string_agg(e.type::text || '@' || to_char(e.at, 'HH24:MI:SS.MS'),"
            "  ' ' ORDER BY e.id) FROM procrastinate_events e WHERE e.job_id = j.id)"
            " FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w"
            " ON w.id = j.worker_id WHERE j.status = 'doing' ORDER BY j.id")
        return [" ".join(str(v) for v in row) for row in found]

    def waiting_work(self) -> int:
        """Ticket notifications committed but not yet applied."""
        [(count,)] = select(self.settings.database_url,
                            "SELECT count(*) FROM pending_notifications")
        return int(count)


# The churn -----------------------------------------------------------------------------


@dataclass
class TicketModel:
    """What the churn knows of one ticket it made, to choose only valid next changes."""

    tenant: Tenant
    ticket_id: int
    is_task: bool = True
    status: str = "open"
    deleted: bool = False
    moved_to: str | None = None
    """The day the agent moved its event to; the churn leaves the ticket alone after."""
    changed_at: float = field(default_factory=time.monotonic)

    @property
    def final(self) -> bool:
        return self.status == "closed" or self.moved_to is not None


class Churn:
    """Random histories (seeded) across every account: creates, retypes, re-dates,
    reassigns, solves, closes, deletes and restores of task tickets in Zendesk (whose
    triggers send signed webhooks to the web tier), and agents moving events in their
    calendars. Runs in a thread between :meth:`start` and :meth:`stop`, or step by step."""

    QUIET_SECONDS = 3.0
    """A ticket untouched this long, whose event matches Zendesk, may be moved by its agent
    (sooner, the move could race a change zdcal has not applied yet, and Zendesk wins)."""

    def __init__(self, sims: Simulators, database_url: str, seed: int) -> None:
        self.sims = sims
        self.database_url = database_url
        self.rng = random.Random(seed)
        self.tickets: list[TicketModel] = []
        self.done: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # One change --------------------------------------------------------------------

    def _day(self) -> str:
        return str(FIRST_DAY + timedelta(days=self.rng.randrange(60)))

    def _due(self) -> str:
        return f"{self._day()}T{self.rng.choice(['09', '13', '17', '22'])}:00:00Z"

    def _put(self, ticket: TicketModel, **fields: Any) -> None:
        response = ticket.tenant.zd.put(f"/api/v2/tickets/{ticket.ticket_id}",
                                        json={"ticket": fields})
        assert response.status_code == 200, response.text
        ticket.changed_at = time.monotonic()

    def create(self, tenant: Tenant | None = None, assignee: int | None = None) -> TicketModel:
        """A task ticket (in ``tenant``, for ``assignee``, or at random)."""
        tenant = tenant or self.rng.choice(self.sims.tenants)
        body = {"subject": f"Task {len(self.tickets)}", "type": "task",
                "assignee_id": assignee or self.rng.choice(ASSIGNEES), "due_at": self._due(),
                "comment": {"body": "Call the customer back"}}
        response = tenant.zd.post("/api/v2/tickets", json={"ticket": body})
        assert response.status_code == 201, response.text
        ticket = TicketModel(tenant, response.json()["ticket"]["id"])
        self.tickets.append(ticket)
        return ticket

    def step(self) -> str:
        """Make one random change; its name."""
        live = [t for t in self.tickets if not t.deleted and not t.final]
        roll = self.rng.random()
        if not live or roll < 0.25:
            self.create()
            return "create"
        ticket = self.rng.choice(live)
        if roll < 0.42:
            self._put(ticket, due_at=self._due())
            return "re-date"
        if roll < 0.56:
            self._put(ticket, assignee_id=self.rng.choice(ASSIGNEES))
            return "reassign"
        if roll < 0.64:
            ticket.is_task = not ticket.is_task
            fields: dict[str, Any] = {"type": "task" if ticket.is_task else "question"}
            if ticket.is_task:
                fields["due_at"] = self._due()
            self._put(ticket, **fields)
            return "retype"
        if roll < 0.72:
            ticket.status = "open" if ticket.status == "solved" else "solved"
            self._put(ticket, status=ticket.status)
            return "solve" if ticket.status == "solved" else "reopen"
        if roll < 0.76 and ticket.status == "solved":
            response = ticket.tenant.zd.post(f"/_sandbox/tickets/{ticket.ticket_id}/close")
            assert response.status_code == 200, response.text
            ticket.status = "closed"
            return "close"
        if roll < 0.84:
            response = ticket.tenant.zd.delete(f"/api/v2/tickets/{ticket.ticket_id}")
            assert response.status_code == 204, response.text
            ticket.deleted = True
            return "delete"
        deleted = [t for t in self.tickets if t.deleted]
        if roll < 0.90 and deleted:
            restored = self.rng.choice(deleted)
            response = restored.tenant.zd.put(
                f"/api/v2/deleted_tickets/{restored.ticket_id}/restore")
            assert response.status_code == 200, response.text
            restored.deleted, restored.changed_at = False, time.monotonic()
            return "restore"
        return "move" if self.move() else "re-date (no event to move)"

    def move(self) -> bool:
        """An agent moves a settled task's event to another day in their calendar."""
        now = time.monotonic()
        quiet = [t for t in self.tickets if not t.deleted and not t.final
                 and now - t.changed_at > self.QUIET_SECONDS]
        self.rng.shuffle(quiet)
        for ticket in quiet[:5]:
            entry = next((e for e in ticket.tenant.desired() if e.ticket_id == ticket.ticket_id),
                         None)
            if entry is None:
                continue
            event = next((e for e in self.sims.events(entry.calendar_id)
                          if e["event_id"] == entry.event_id and not e["deleted"]), None)
            if event is None or event["start"] != entry.event_start or len(event["start"]) != 10:
                continue  # zdcal has not written it yet (or it is timed)
            if not self._recorded(ticket.tenant, entry):
                continue  # written, but zdcal has not recorded that yet
            day = date.fromisoformat(event["start"]) + timedelta(days=self.rng.randint(1, 9))
            self.sims.cr.post("/_sandbox/events/change", json={
                "calendar_id": entry.calendar_id, "event_id": entry.event_id,
                "start": str(day), "end": str(day + timedelta(days=1)),
            }).raise_for_status()
            ticket.moved_to = str(day)
            return True
        return False

    def _recorded(self, tenant: Tenant, entry: DesiredEntry) -> bool:
        """Whether zdcal recorded writing the event as the rules want it (the end of its
        write: a move before that may be overwritten by a write run again after a
        crash, which cannot tell it from its own unrecorded write)."""
        found = select(
            self.database_url,
            "SELECT event_start FROM calendar_entries WHERE account_id = %s"
            " AND ticket_id = %s AND calendar_id = %s AND event_id = %s",
            (tenant.account_id, entry.ticket_id, entry.calendar_id, entry.event_id))
        return [row[0] for row in found] == [entry.event_start]

    # In a thread -------------------------------------------------------------------

    @contextmanager
    def flowing(self, per_second: float) -> Iterator[Churn]:
        """Changes at about ``per_second`` from a thread while the block runs."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(per_second,), daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self, per_second: float) -> None:
        try:
            while not self._stop.is_set():
                self.done.append(self.step())
                self._stop.wait(self.rng.expovariate(per_second))
        except BaseException as exc:  # reported by flowing() in the test's thread
            self.error = exc


# The checks ----------------------------------------------------------------------------


def differences(sims: Simulators) -> list[str]:
    """Where the calendars differ from what the rules say (empty: converged)."""
    found = []
    for tenant in sims.tenants:
        want, have = expected_view(tenant), sims.placed(tenant)
        for calendar in sorted(set(want) | set(have)):
            w, h = want.get(calendar, {}), have.get(calendar, {})
            for event_id in sorted(set(w) | set(h)):
                if w.get(event_id) != h.get(event_id):
                    found.append(f"{calendar} {event_id}: want {w.get(event_id)},"
                                 f" have {h.get(event_id)}")
    return found


def duplicates(sims: Simulators) -> list[str]:
    """Tickets with more than one event ever created (deleted ones included) in any
    calendar, or live in more than one calendar at once."""
    found = []
    for tenant in sims.tenants:
        assert tenant.info is not None
        ever: dict[int, list[tuple[str, str, bool]]] = {}
        for calendar in tenant.calendars:
            for event in sims.events(calendar, include_deleted=True):
                ticket = int(event["event_id"].rsplit("-", 1)[1])
                ever.setdefault(ticket, []).append((calendar, event["event_uid"],
                                                    event["deleted"]))
        for ticket, events in ever.items():
            per_calendar = [c for c, _, _ in events]
            live = [c for c, _, deleted in events if not deleted]
            if len(per_calendar) != len(set(per_calendar)) or len(live) > 1:
                found.append(f"{tenant.subdomain} ticket {ticket}: {events}")
    return found


def moved_but_not_in_zendesk(churn: Churn) -> list[str]:
    """Moved events whose move Zendesk's due date does not show."""
    found = []
    for ticket in churn.tickets:
        if ticket.moved_to is None:
            continue
        entry = next((e for e in ticket.tenant.desired() if e.ticket_id == ticket.ticket_id),
                     None)
        start = None if entry is None else entry.event_start
        if start != ticket.moved_to:
            found.append(f"{ticket.tenant.subdomain} #{ticket.ticket_id}: moved to"
                         f" {ticket.moved_to}, Zendesk's due date gives {start}")
    return found


class NotConverged(Exception):
    """The cluster did not reach what the rules say in time (not an AssertionError, so
    that a test expected to fail on an assertion does not pass for this reason)."""


def converge(sims: Simulators, cluster: Cluster, churn: Churn, timeout: float) -> float:
    """Wait until every calendar is as the rules say, every move is in Zendesk and no
    ticket notification waits; the seconds it took. Raises :class:`NotConverged` with
    what still differs (and the jobs marked running)."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        diff = differences(sims) + moved_but_not_in_zendesk(churn)
        if not diff and cluster.waiting_work() == 0:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise NotConverged(
                f"not converged after {timeout:.0f} s ({len(diff)} differences, jobs"
                f" {cluster.jobs()}; running: {cluster.running_jobs()}):\n" + "\n".join(diff[:30]))
        time.sleep(0.5)
