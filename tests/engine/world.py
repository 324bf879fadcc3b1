"""A world for engine scenarios: both simulators on loopback, a real database, zdcal's
runtime, and plain-HTTP handles on the simulators' APIs and control APIs."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from zdcal.clock import Clock
from zdcal.domain import (
    AccountInfo,
    desired_entries,
    ticket_state_from_api,
)
from zdcal.runtime import Runtime
from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import Scenario
from zdcal.settings import Settings
from zdcal.store import (
    Account,
    Agent,
    CalDAVAccount,
    CalendarTokens,
    EventStyleOptions,
    ZendeskApiToken,
    generate_key,
)
from zdcal.sync.agents import connect_agent, disconnect_agent, switch_calendar
from zdcal.sync.engine import AccountSync, agent_target
from zdcal.sync.report import SyncReport

T = TypeVar("T")

SECRET_KEY = generate_key()

ADMIN = ("admin@sandbox.example/token", "sandbox-admin-token")
# Zendesk agents of the simulator's default seed.
NIA, KENJI, LENA = 1002, 1003, 1004


def calendar(owner: str, name: str = "work") -> str:
    return f"cal_sandbox_{owner}_{name}"


@dataclass
class World:
    sandbox: Sandbox
    settings: Settings
    zd: httpx.Client
    cr: httpx.Client
    backend = "cronofy"
    """The calendar backend the world's agents connect with (its requests' label)."""
    clock: Clock | None = None
    """zdcal's clock (None: the machine's)."""

    def calendar(self, owner: str, name: str = "work") -> str:
        """The id of ``owner``'s calendar called ``name``."""
        return calendar(owner, name)

    # zdcal ---------------------------------------------------------------------------

    def run(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        async def runner() -> T:
            async with await Runtime.open(self.settings, clock=self.clock) as runtime:
                return await work(runtime)

        return asyncio.run(runner())

    def with_sync(
        self, work: Callable[[AccountSync], Awaitable[T]], report: SyncReport | None = None
    ) -> T:
        async def inner(runtime: Runtime) -> T:
            account = await self._account(runtime)
            async with runtime.sync_session(account, report or SyncReport()) as sync:
                return await work(sync)

        return self.run(inner)

    async def _account(self, runtime: Runtime) -> Account:
        async with runtime.store.transaction() as tx:
            account = await tx.accounts.get_by_subdomain("sandbox")
        assert account is not None
        return account

    def account_key(self) -> str:
        """The sandbox account's key (in its event ids and receivers' paths)."""

        async def key(runtime: Runtime) -> str:
            return (await self._account(runtime)).key

        return self.run(key)

    def add_account(self) -> Account:
        async def work(runtime: Runtime) -> Account:
            async with runtime.store.transaction() as tx:
                return await tx.accounts.add(
                    subdomain="sandbox",
                    base_url=self.sandbox.zendesk.base_url,
                    admin_email=ADMIN[0].split("/")[0],
                    credentials=ZendeskApiToken(ADMIN[0].split("/")[0], ADMIN[1]),
                )

        return self.run(work)

    def connect(
        self,
        user_id: int,
        owner: str,
        *,
        calendar_id: str | None = None,
        style: EventStyleOptions | None = None,
    ) -> Agent:
        """Connect Zendesk user ``user_id`` to ``owner``'s calendar account, writing to
        ``calendar_id`` (or :meth:`default_calendar`)."""
        user = self.zd.get(f"/api/v2/users/{user_id}").json()["user"]
        account_id, data_center, credentials = self.link(owner)

        async def work(sync: AccountSync) -> Agent:
            return await connect_agent(
                sync, zendesk_user_id=user_id, name=user["name"], email=user["email"],
                time_zone=user["iana_time_zone"], calendar_account_id=account_id,
                data_center=data_center, tokens=credentials, calendar_backend=self.backend,
                calendar_id=calendar_id or self.default_calendar(owner), style=style,
            )

        return self.with_sync(work)

    def link(self, owner: str) -> tuple[str, str, CalendarTokens | CalDAVAccount]:
        """What linking ``owner``'s calendar account yields: its id at the calendar
        service, its data center, and zdcal's credentials for it."""
        return f"acc_sandbox_{owner}", "us", self.authorize(owner)

    def default_calendar(self, owner: str) -> str | None:
        """The calendar an agent connects to when none is named (None: the service's
        primary one, as zdcal finds it)."""
        return None

    def authorize(self, owner: str) -> CalendarTokens:
        """Fresh tokens for ``owner``'s Cronofy account through the simulator's consent page
        and code exchange, as an agent connecting on zdcal's page gets them (a disconnect
        revokes the previous authorization, so a reconnect needs a new one)."""
        redirect = "https://zdcal.test/cronofy/callback"
        query = {
            "response_type": "code",
            "client_id": self.settings.cronofy_client_id,
            "redirect_uri": redirect,
            "scope": "read_account list_calendars read_events create_event delete_event",
            "state": "world",
        }
        page = self.cr.get("/oauth/authorize", params=query)
        hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
        decision = self.cr.post(
            "/oauth/authorize",
            data={**hidden, "decision": "allow", "account_id": f"acc_sandbox_{owner}"},
        )
        code = httpx.URL(decision.headers["location"]).params["code"]
        answer = self.cr.post(
            "/oauth/token",
            json={
                "client_id": self.settings.cronofy_client_id,
                "client_secret": self.settings.cronofy_client_secret.get_secret_value(),
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
            },
        )
        answer.raise_for_status()
        body = answer.json()
        return CalendarTokens(body["access_token"], body["refresh_token"], None)

    def agent(self, user_id: int) -> Agent:
        async def work(runtime: Runtime) -> Agent:
            account = await self._account(runtime)
            async with runtime.store.transaction() as tx:
                agent = await tx.agents.get_by_user(account.id, user_id)
            assert agent is not None
            return agent

        return self.run(work)

    def switch(self, user_id: int, calendar_id: str) -> Agent:
        agent = self.agent(user_id)
        return self.with_sync(lambda sync: switch_calendar(sync, agent, calendar_id))

    def disconnect(self, user_id: int) -> int:
        agent = self.agent(user_id)
        return self.with_sync(lambda sync: disconnect_agent(sync, agent))

    def sync(self, *, verify: bool = False, tick: bool = True) -> SyncReport:
        """One sweep (after letting the export's newest-minute window pass) and retries."""
        if tick:
            self.advance_zendesk(61)
        report = SyncReport()

        async def work(sync: AccountSync) -> None:
            await sync.sweep()
            await sync.retry_failed()
            if verify:
                await sync.verify()

        self.with_sync(work, report)
        return report

    # Zendesk -------------------------------------------------------------------------

    def create_task(
        self,
        assignee: int | None,
        due_at: str | None,
        subject: str = "Call the customer back",
        *,
        type: str = "task",
        **fields: Any,
    ) -> int:
        body = {"subject": subject, "type": type, "assignee_id": assignee, "due_at": due_at,
                "comment": {"body": f"Details of {subject}"}, **fields}
        response = self.zd.post("/api/v2/tickets", json={"ticket": body})
        assert response.status_code == 201, response.text
        ticket_id: int = response.json()["ticket"]["id"]
        return ticket_id

    def update(self, ticket_id: int, **fields: Any) -> None:
        response = self.zd.put(f"/api/v2/tickets/{ticket_id}", json={"ticket": fields})
        assert response.status_code == 200, response.text

    def delete(self, ticket_id: int) -> None:
        assert self.zd.delete(f"/api/v2/tickets/{ticket_id}").status_code == 204

    def restore(self, ticket_id: int) -> None:
        response = self.zd.put(f"/api/v2/deleted_tickets/{ticket_id}/restore")
        assert response.status_code == 200, response.text

    def close(self, ticket_id: int) -> None:
        response = self.zd.post(f"/_sandbox/tickets/{ticket_id}/close")
        assert response.status_code == 200, response.text

    def advance_zendesk(self, seconds: float) -> None:
        self.zd.post("/_sandbox/clock", json={"advance_seconds": seconds}).raise_for_status()

    def zendesk_faults(self, **knobs: Any) -> None:
        self.zd.put("/_sandbox/faults", json=knobs).raise_for_status()

    def cronofy_faults(self, **knobs: Any) -> None:
        self.cr.put("/_sandbox/faults", json=knobs).raise_for_status()

    # Calendars -----------------------------------------------------------------------

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The live (not deleted) events of a simulated calendar, by event id."""
        response = self.cr.get(f"/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
        return {
            e["event_id"]: {**e["sent"], "start": e["start"], "end": e["end"]}
            for e in response.json()["events"]
            if e.get("event_id") and not e.get("deleted")
        }

    def move_event(self, calendar_id: str, event_id: str, start: str, end: str) -> None:
        """The agent moves the event in their calendar app (dates, or UTC instants)."""
        self.cr.post("/_sandbox/events/change", json={
            "calendar_id": calendar_id, "event_id": event_id, "start": start, "end": end,
        }).raise_for_status()

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """The agent deletes the event in their calendar app."""
        self.cr.post("/_sandbox/events/change", json={
            "calendar_id": calendar_id, "event_id": event_id, "deleted": True,
        }).raise_for_status()

    def all_managed(self, calendars: list[str]) -> dict[str, dict[str, str]]:
        """Every calendar's managed events: {calendar: {event_id: summary}}."""
        return {c: {eid: e["summary"] for eid, e in self.events(c).items()} for c in calendars}

    def expected(self, calendars: list[str]) -> dict[str, dict[str, str]]:
        """What the rules say the calendars should hold, from Zendesk's current state and
        zdcal's agents: the oracle of the model-based tests."""
        state = self.zd.get("/_sandbox/state").json()

        async def agents(runtime: Runtime) -> tuple[Account, list[Agent]]:
            account = await self._account(runtime)
            async with runtime.store.transaction() as tx:
                return account, await tx.agents.for_account(account.id)

        account, found = self.run(agents)
        targets = {
            a.zendesk_user_id: t
            for a in found
            if (t := agent_target(a, account.default_style)) is not None
        }
        tickets = [ticket_state_from_api(t) for t in state["tickets"]]
        info = AccountInfo(key=account.key, subdomain=account.subdomain)
        view: dict[str, dict[str, str]] = {c: {} for c in calendars}
        for entry in desired_entries(info, tickets, targets):
            view.setdefault(entry.calendar_id, {})[entry.event_id] = entry.body["summary"]
        return view


@contextmanager
def open_world(
    data_dir: Path,
    database_url: str,
    scenario: Scenario | None = None,
    *,
    sandbox: Sandbox | None = None,
    caldav_ca_file: Path | None = None,
    google: bool = False,
    microsoft: bool = False,
) -> Iterator[World]:
    """Both simulators (``sandbox``, or made from ``scenario``), a runtime on
    ``database_url`` and the sandbox account added; with ``google`` / ``microsoft``, the
    Google Calendar / Microsoft 365 simulator too, and zdcal's settings pointing at it."""
    with sandbox or Sandbox.create(scenario, google=google, microsoft=microsoft) as sandbox:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=data_dir,
            database_url=database_url,
            secret_key=SECRET_KEY,
            cronofy_api_url=sandbox.cronofy.base_url,
            cronofy_app_url=sandbox.cronofy.base_url,
            cronofy_client_id=sandbox.cronofy_config.client_id,
            cronofy_client_secret=sandbox.cronofy_config.client_secret,
            caldav_ca_file=caldav_ca_file,
            **sandbox.calendar_settings(),
        )
        with (
            httpx.Client(base_url=sandbox.zendesk.base_url, auth=ADMIN, timeout=30) as zd,
            httpx.Client(base_url=sandbox.cronofy.base_url, timeout=30) as cr,
        ):
            world = World(sandbox, settings, zd, cr)
            world.add_account()
            yield world


def zdcal_env(world: World) -> dict[str, str]:
    """The environment a ``zdcal`` command needs to run on the world's database and
    simulators."""
    s = world.settings
    return {
        **os.environ,
        "ZDCAL_DATA_DIR": str(s.data_dir),
        "ZDCAL_DATABASE_URL": s.database_url,
        "ZDCAL_SECRET_KEY": SECRET_KEY,
        "ZDCAL_CRONOFY_API_URL": s.cronofy_api_url,
        "ZDCAL_CRONOFY_APP_URL": s.cronofy_app_url,
        "ZDCAL_CRONOFY_CLIENT_ID": s.cronofy_client_id,
        "ZDCAL_CRONOFY_CLIENT_SECRET": s.cronofy_client_secret.get_secret_value(),
        **{f"ZDCAL_{name.upper()}": str(value)
           for name, value in world.sandbox.calendar_settings().items()},
    }


@asynccontextmanager
async def same_sync(sync: AccountSync) -> AsyncIterator[AccountSync]:
    """The account's work for a use-case (which opens its own) when ``sync`` holds it."""
    yield sync


def due(day: str, time: str = "17:00:00") -> str:
    """A due_at value: ISO UTC."""
    return f"{day}T{time}Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

