"""The whole zdcal stack over real HTTP for page tests: both simulators, zdcal's app
(with its workers) on loopback, a SQLite database in a temporary directory."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from zdcal.clock import Clock
from zdcal.runtime import Runtime
from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.server import ServerThread
from zdcal.settings import Settings
from zdcal.store import ZendeskApiToken, generate_key
from zdcal.sync.report import SyncReport
from zdcal.web.app import create_app

ADMIN_AUTH = ("admin@sandbox.example/token", "sandbox-admin-token")
ADMIN, NIA, KENJI, ERIN = 1001, 1002, 1003, 1100
ZENDESK_CLIENT = ("zdcal", "zdcal-sandbox-secret")
FAST_WORKERS = {"tick": 0.2, "collect_window": 0.1, "mail_interval": 0.2}


def calendar(owner: str, name: str = "work") -> str:
    return f"cal_sandbox_{owner}_{name}"


class LogCapture(logging.Handler):
    """Every log record zdcal's server thread writes, at any level, with its arguments.

    Only that thread: the test's own HTTP clients (playing browsers) log the URLs and
    cookies they receive, which is not zdcal logging them.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.thread: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text} {record.__dict__}")


@dataclass
class Stack:
    sandbox: Sandbox
    server: ServerThread
    settings: Settings
    zd: httpx.Client
    cr: httpx.Client
    logs: LogCapture
    account_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def database_file(self) -> Path:
        return self.settings.data_dir / "zdcal.db"

    def create_task(self, assignee: int, due_at: str, subject: str) -> int:
        body = {"subject": subject, "type": "task", "assignee_id": assignee, "due_at": due_at,
                "comment": {"body": f"Details of {subject}"}}
        response = self.zd.post("/api/v2/tickets", json={"ticket": body})
        assert response.status_code == 201, response.text
        ticket_id: int = response.json()["ticket"]["id"]
        return ticket_id

    def events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """Live events of a simulated calendar, by event id (the Cronofy control API)."""
        response = self.cr.get(f"/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
        return {e["event_id"]: e["sent"] for e in response.json()["events"]
                if e.get("event_id") and not e.get("deleted")}

    def mirrored(self, ticket_id: int) -> bool:
        """Whether zdcal's ticket mirror holds the ticket (read straight from SQLite)."""
        with sqlite3.connect(self.database_file) as db:
            row = db.execute("SELECT 1 FROM tickets WHERE ticket_id = ?", (ticket_id,))
            return row.fetchone() is not None

    def advance_zendesk(self, seconds: float) -> None:
        """Move Zendesk's clock on: its export withholds changes younger than a minute."""
        self.zd.post("/_sandbox/clock", json={"advance_seconds": seconds}).raise_for_status()

    def live_grants(self, account: str) -> set[str]:
        """Refresh tokens of the calendar account's authorizations that still work."""
        accounts = self.cr.get("/_sandbox/accounts").json()["accounts"]
        (found,) = (a for a in accounts if a["account_id"] == account)
        return {g["refresh_token"] for g in found["grants"] if g["access_token"]}

    def revoke_calendar(self, account: str) -> None:
        self.cr.post(f"/_sandbox/accounts/{account}/revoke").raise_for_status()


def _settings(
    data_dir: Path, sandbox: Sandbox, public_url: str, overrides: Mapping[str, Any]
) -> Settings:
    values: dict[str, Any] = dict(
        _env_file=None,
        data_dir=data_dir,
        secret_key=generate_key(),
        public_url=public_url,
        cronofy_api_url=sandbox.cronofy.base_url,
        cronofy_app_url=sandbox.cronofy.base_url,
        cronofy_client_id=sandbox.cronofy_config.client_id,
        cronofy_client_secret=sandbox.cronofy_config.client_secret,
        zendesk_oauth_client_id=ZENDESK_CLIENT[0],
        zendesk_oauth_client_secret=ZENDESK_CLIENT[1],
        web_custom_zendesk_urls=True,
        web_custom_zendesk_hosts=[urlsplit(sandbox.zendesk.base_url).netloc],
        # Zendesk allows 10 incremental exports a minute (so does its simulator): a sweep
        # more often meets 429s, and waits them out holding the account's lock, which
        # stalls the pages and the calendar reads of the tests for up to a minute.
        sweep_interval_seconds=6,
        log_level="DEBUG",
    )
    return Settings(**{**values, **overrides})


def _add_sandbox_account(settings: Settings, zendesk_url: str) -> int:
    """The sandbox account, connected with an admin API token (as the CLI does), and its
    first backfill done, so the mirror knows every open task before the pages start."""

    async def work() -> int:
        async with await Runtime.open(settings) as runtime:
            async with runtime.store.transaction() as tx:
                account = await tx.accounts.add(
                    subdomain="sandbox", base_url=zendesk_url,
                    admin_email="admin@sandbox.example",
                    credentials=ZendeskApiToken("admin@sandbox.example", ADMIN_AUTH[1]),
                )
            async with runtime.sync_session(account, SyncReport()) as sync:
                await sync.sweep()
            return account.id

    # A thread of its own: Playwright's sync API keeps an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


@contextmanager
def open_stack(
    data_dir: Path, *, with_account: bool = True, public_url: str | None = None,
    tasks: list[tuple[int, str, str]] | None = None, overrides: Mapping[str, Any] | None = None,
    clock: Clock | None = None, google: bool = False, microsoft: bool = False,
) -> Iterator[Stack]:
    """Start everything; ``tasks`` (assignee, due_at, subject) exist before the backfill;
    ``overrides`` replace the stack's own settings; ``clock`` is zdcal's (the system's);
    ``google`` / ``microsoft`` start the Google Calendar / Microsoft 365 simulator too,
    and set zdcal up for it."""
    logs = LogCapture()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    try:
        with (
            Sandbox.create(google=google, microsoft=microsoft) as sandbox,
            httpx.Client(base_url=sandbox.zendesk.base_url, auth=ADMIN_AUTH, timeout=30) as zd,
            httpx.Client(base_url=sandbox.cronofy.base_url, timeout=30) as cr,
        ):
            settings = _settings(data_dir, sandbox, "http://127.0.0.1:0",
                                 {**sandbox.calendar_settings(), **(overrides or {})})
            app = create_app(settings, workers_options=FAST_WORKERS, clock=clock)
            server = ServerThread(app)
            # The port is known once the socket is bound; the lifespan reads settings later.
            settings.public_url = public_url or server.base_url
            stack = Stack(sandbox, server, settings, zd, cr, logs)
            for assignee, due_at, subject in tasks or []:
                stack.create_task(assignee, due_at, subject)
            if with_account:
                stack.account_id = _add_sandbox_account(settings, sandbox.zendesk.base_url)
            server.start()
            logs.thread = server._thread.ident
            try:
                yield stack
            finally:
                server.stop()
    finally:
        root.removeHandler(logs)
        root.setLevel(previous_level)


# Plain-HTTP journeys (security tests): a browser-like client following the consent pages.

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def follow_to(client: httpx.Client, response: httpx.Response, host: str) -> httpx.Response:
    """Follow redirects until the response is on ``host`` (another client's base) or final."""
    while response.is_redirect:
        location = response.headers["location"]
        if not location.startswith(host):
            return response
        response = client.get(location)
    return response


def zendesk_consent(stack: Stack, authorize_url: str, user_id: int) -> str:
    """Play a user on Zendesk's consent page: returns the redirect back to zdcal."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        form = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        answer = browser.post(authorize_url.split("?")[0],
                              data={**form, "user_id": str(user_id), "decision": "allow"})
    assert answer.is_redirect, answer.text
    return answer.headers["location"]


def cronofy_consent(stack: Stack, authorize_url: str, account_id: str) -> str:
    with httpx.Client(timeout=30) as browser:
        form = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        answer = browser.post(authorize_url.split("?")[0],
                              data={**form, "account_id": account_id, "decision": "allow"})
    assert answer.is_redirect, answer.text
    return answer.headers["location"]


def signed_in_client(stack: Stack, user_id: int, *, next_page: str = "agent") -> httpx.Client:
    """An HTTP client holding a zdcal session for a sandbox Zendesk user."""
    client = httpx.Client(base_url=stack.url, timeout=30)
    start = client.get("/signin", params={"account": "sandbox", "next": next_page})
    assert start.status_code == 303, start.text
    back = zendesk_consent(stack, start.headers["location"], user_id)
    client.get(back)
    return client


def connect_calendar(
    stack: Stack, client: httpx.Client, owner: str, *, confirm: str | None = "work"
) -> httpx.Response:
    """Link the owner's calendar account and, unless ``confirm`` is None, confirm their
    calendar named ``confirm`` (the style left as it is); returns the callback's answer."""
    page = client.get("/agent")
    start = client.post("/calendar/connect", data={"csrf_token": csrf_of(page.text)})
    assert start.status_code == 303, start.text
    back = cronofy_consent(stack, start.headers["location"], f"acc_sandbox_{owner}")
    answer = client.get(back)
    choice = client.get("/agent").text
    if confirm is not None and 'id="choose-card"' in choice:
        confirmed = client.post("/calendar/confirm", data={
            "csrf_token": csrf_of(choice), "calendar_id": calendar(owner, confirm),
        })
        assert confirmed.status_code == 303, confirmed.text
    return answer


@contextmanager
def connected_agent(stack: Stack, user_id: int, owner: str) -> Iterator[httpx.Client]:
    """An agent signed in with their calendar connected (the owner's simulated account)."""
    with closing(signed_in_client(stack, user_id)) as client:
        assert connect_calendar(stack, client, owner).headers["location"] == "/agent"
        yield client


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``check()``'s first true value, or its last value once ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
