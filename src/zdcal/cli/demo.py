"""``zdcal demo``: the whole product on one machine, with nothing to configure.

With no Cronofy credentials in the environment it starts the simulated Zendesk, Cronofy,
Google Calendar and Microsoft 365, seeds them (an account, agents, tasks), wires zdcal
into the simulated Zendesk (webhook and trigger) and serves zdcal, on SQLite in
``var/demo``. Where Radicale (a development dependency) is installed it also starts one,
a real CalDAV server on loopback with a demo user, for the CalDAV form; the ICS feed
needs nothing. With real credentials (``ZDCAL_CRONOFY_CLIENT_ID`` set) it serves zdcal
against the real services instead.

The simulators keep their state in memory, so every start begins afresh: zdcal's demo
database is emptied too, or a restart would pair remembered agents, events and counts
with simulators that know none of them.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import socket
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import httpx
import uvicorn

from zdcal.live.bootstrap import bootstrap_account
from zdcal.live.logs import configure_logging
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.sandbox.mail_sink import CaughtMail, MailSink
from zdcal.sandbox.radicale import INSTALL_HINT, RadicaleProcess, radicale_available
from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import Scenario
from zdcal.sandbox.server import ServerThread
from zdcal.settings import Settings
from zdcal.store import ZendeskApiToken, private_directory, upgrade
from zdcal.web.app import create_app

ADMIN_EMAIL, ADMIN_TOKEN = "admin@sandbox.example", "sandbox-admin-token"
DEMO_MAIL_FROM = "zdcal demo <zdcal@sandbox.example>"
SAMPLE_TASKS = [
    # (assignee, days from today, hour UTC, subject, priority)
    (1002, 1, 15, "Call Acme back about the renewal", "high"),
    (1002, 3, 17, "Send the onboarding checklist", None),
    (1002, 7, 14, "Quarterly review with Globex", "normal"),
    (1003, 2, 1, "Check the Tokyo office's printer order", "low"),
    (1003, 5, 3, "Follow up on invoice #4411", "urgent"),
    (1004, 4, 9, "Prepare the Berlin workshop", None),
]


def sandbox_settings(
    data_dir: Path, port: int, sandbox: Sandbox, mail: MailSink | None = None
) -> Settings:
    # With a mail sink, zdcal's mail (reconnect links, admin summaries) goes to it.
    smtp: dict[str, Any] = {} if mail is None else {"smtp_host": mail.host, "smtp_port": mail.port,
                                    "smtp_security": "none", "smtp_from": DEMO_MAIL_FROM}
    return Settings(
        **smtp, **sandbox.calendar_settings(),
        _env_file=None,
        data_dir=data_dir,
        database_url="",  # SQLite in data_dir, which the demo empties; never ZDCAL_DATABASE_URL
        public_url=f"http://127.0.0.1:{port}",
        cronofy_api_url=sandbox.cronofy.base_url,
        cronofy_app_url=sandbox.cronofy.base_url,
        cronofy_client_id=sandbox.cronofy_config.client_id,
        cronofy_client_secret=sandbox.cronofy_config.client_secret,
        zendesk_oauth_client_id="zdcal",
        zendesk_oauth_client_secret="zdcal-sandbox-secret",  # noqa: S106 - the simulator's
        # The connect form may name the simulated Zendesk, and only it.
        web_custom_zendesk_urls=True,
        web_custom_zendesk_hosts=[urlsplit(sandbox.zendesk.base_url).netloc],
        log_format="text",
        log_level=os.environ.get("ZDCAL_LOG_LEVEL", "WARNING"),
    )


async def prepare(settings: Settings, sandbox: Sandbox) -> None:
    """Connect the simulated account, wire it up, and give agents some tasks."""
    await upgrade(settings.database_url)
    async with await Runtime.open(settings) as runtime:
        async with runtime.store.transaction() as tx:
            account = await tx.accounts.add(
                subdomain="sandbox", base_url=sandbox.zendesk.base_url,
                admin_email=ADMIN_EMAIL, credentials=ZendeskApiToken(ADMIN_EMAIL, ADMIN_TOKEN),
            )
        services = Services(runtime)
        try:
            await bootstrap_account(services, account.id, settings.public_url)
        finally:
            await services.close()
    today = runtime.clock.now().date()
    async with httpx.AsyncClient(base_url=sandbox.zendesk.base_url,
                                 auth=(f"{ADMIN_EMAIL}/token", ADMIN_TOKEN)) as zendesk:
        for assignee, days, hour, subject, priority in SAMPLE_TASKS:
            day = today.toordinal() + days
            due = f"{type(today).fromordinal(day).isoformat()}T{hour:02d}:00:00Z"
            response = await zendesk.post("/api/v2/tickets", json={"ticket": {
                "subject": subject, "type": "task", "assignee_id": assignee, "due_at": due,
                "priority": priority, "comment": {"body": f"{subject}.\n\nA sample task."},
            }})
            response.raise_for_status()


DEFAULT_DATA_DIR = Path("var/demo")
DEMO_MARK = ".zdcal-demo"  # in a data directory the demo made (and so may empty)
CLI_ENV = "cli.env"  # the ZDCAL_* variables pointing the CLI at the running demo
DEMO_FILES = ("zdcal.db", "zdcal.db-wal", "zdcal.db-shm", "zdcal.db-journal", "secret.key",
              CLI_ENV)
CALDAV_DIR = "caldav"  # the demo's Radicale: its users file, calendars and log
CALDAV_USER, CALDAV_PASSWORD = "demo", "demo-app-password"


def claim_port(port: int, option: str) -> socket.socket:
    """A socket bound to 127.0.0.1:port, or one line naming the port and its option.

    Bound the way uvicorn and the simulators bind (SO_REUSEADDR), so a port a stopped
    demo left in TIME_WAIT is free again, as it is for them.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(
            f"port {port} is in use ({exc.strerror}): stop what listens there, or choose "
            f"another with {option} (0 picks a free one)"
        ) from exc
    return sock


def start_fresh(data_dir: Path) -> None:
    """Empty the demo's data directory: its database and key, nothing else.

    A directory holding a zdcal database the demo did not make is refused, never emptied.
    """
    mark = data_dir / DEMO_MARK
    owned = mark.exists() or data_dir.resolve() == DEFAULT_DATA_DIR.resolve()
    if not owned and (data_dir / "zdcal.db").exists():
        raise click.ClickException(
            f"{data_dir} holds a zdcal database the demo did not make, and the demo empties "
            "its data directory at every start: choose another --data-dir"
        )
    private_directory(data_dir)
    for name in DEMO_FILES:
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(data_dir / CALDAV_DIR, ignore_errors=True)
    mark.write_text("zdcal demo data: emptied at every start of 'zdcal demo'\n")


def write_cli_environment(
    settings: Settings, path: Path, calendars: dict[str, Any] | None = None
) -> None:
    """The ZDCAL_* variables that point the CLI at this demo, as a shell file to source
    (``calendars``: the direct calendar simulators' settings)."""
    calendars = calendars or {}
    values = {
        "ZDCAL_DATA_DIR": str(settings.data_dir.resolve()),
        "ZDCAL_DATABASE_URL": settings.database_url,
        "ZDCAL_PUBLIC_URL": settings.public_url,
        "ZDCAL_CRONOFY_API_URL": settings.cronofy_api_url,
        "ZDCAL_CRONOFY_APP_URL": settings.cronofy_app_url,
        "ZDCAL_CRONOFY_CLIENT_ID": settings.cronofy_client_id,
        "ZDCAL_CRONOFY_CLIENT_SECRET": settings.cronofy_client_secret.get_secret_value(),
    }
    values |= {f"ZDCAL_{name.upper()}": str(value) for name, value in calendars.items()}
    lines = [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("# zdcal demo: '. THIS_FILE' points zdcal commands at the running demo.\n")
        file.write("\n".join(lines) + "\n")


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(settings: Settings, sock: socket.socket) -> None:
    """Serve zdcal on an already bound socket until Ctrl+C or SIGTERM.

    uvicorn stops on either, then raises the signal again with the handler it found: by
    default SIGTERM would end the process on the spot, leaving the demo's Radicale (a
    child process) and the simulators' cleanup undone. Here it exits normally instead,
    through every ``with`` that started something."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it stopped for
        click.echo("zdcal demo stopped.")


def caldav_steps(dav: RadicaleProcess | None, sandbox: Sandbox) -> str:
    """The other calendar backends: Google Calendar directly, what to enter on the CalDAV
    form, and the ICS feed."""
    if dav is None:
        caldav = ("CalDAV: not offered here, Radicale is not installed.\n"
                  f"     To try it: {INSTALL_HINT}.")
    else:
        caldav = f"""CalDAV (a real Radicale on loopback): on your page, "Or connect a CalDAV
     calendar", provider "Other CalDAV server", and enter
       Server address {dav.url}/
       Username       {dav.username}
       App password   {dav.password}
     then choose the calendar "Tasks"."""
    direct = ""
    if sandbox.google is not None:
        direct += f"""
   - Google Calendar directly: "Connect Google Calendar", then pick agent@example.com
     on the simulated Google's consent page (its calendars and control API:
     {sandbox.google.base_url}/_sandbox/, docs/sandbox.md)."""
    if sandbox.microsoft is not None:
        direct += f"""
   - Outlook (Microsoft 365) directly: "Connect Outlook (Microsoft 365)", then pick a
     user on the simulated Microsoft sign-in page ({sandbox.microsoft.base_url}/_sandbox/)."""
    return f"""
  Other calendars, instead of step 2:{direct}
   - {caldav}
   - Subscribe with any calendar app (ICS feed), nothing to set up: on your page,
     "Make my subscription link"."""


def demo_steps(
    url: str, sandbox: Sandbox, mailbox_url: str, data_dir: Path,
    dav: RadicaleProcess | None = None,
) -> str:
    """What the demo prints once it is ready: where to click, step by step."""
    zendesk = sandbox.zendesk.base_url
    return f"""
zdcal demo is running: open {url}

  1. Sign in: pick a sample agent (Nia Agent) on the simulated Zendesk page.
  2. Connect a calendar: pick "Ada Agent" on the simulated Cronofy page.{caldav_steps(dav, sandbox)}
  3. Watch the simulated calendars: {sandbox.cronofy.base_url}/_sandbox/
  4. Change a task on the simulated Zendesk's agent page (each event's link opens
     its ticket there): {zendesk}/agent/tasks
     and see the event follow. Admin page: {url}/admin (sign in as Ada Admin).
     Or through the API: curl -u {ADMIN_EMAIL}/token:{ADMIN_TOKEN} {zendesk}/api/v2/tickets/1
  5. Mail zdcal sends (reconnect links, admin summaries): {mailbox_url}/_sandbox/mail
     Revoke an agent's calendar to get one:
       curl -X POST {sandbox.cronofy.base_url}/_sandbox/accounts/acc_sandbox_ada/revoke
  6. Use the CLI on this demo from another terminal (in this directory):
       . {data_dir / CLI_ENV}
       python3 dev.py run status      # or: zdcal status, with .venv/bin on PATH

Every start begins afresh: the simulators keep their data in memory, so the demo's
database in {data_dir} is emptied too. Press Ctrl+C to stop."""


@click.command("demo")
@click.option("--port", type=int, default=8000, show_default=True,
              help="zdcal's port (0: any free one).")
@click.option("--zendesk-port", type=int, default=8101, show_default=True,
              help="The simulated Zendesk's port.")
@click.option("--cronofy-port", type=int, default=8102, show_default=True,
              help="The simulated Cronofy's port.")
@click.option("--google-port", type=int, default=8103, show_default=True,
              help="The simulated Google Calendar's port.")
@click.option("--microsoft-port", type=int, default=8104, show_default=True,
              help="The simulated Microsoft 365 (Graph)'s port.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=DEFAULT_DATA_DIR,
              show_default=True,
              help="Where the demo's SQLite database and key live; emptied at every start.")
def demo_command(
    port: int, zendesk_port: int, cronofy_port: int, google_port: int, microsoft_port: int,
    data_dir: Path,
) -> None:
    """Run the whole product locally: simulated Zendesk, Cronofy, Google Calendar and
    Microsoft 365, seeded, and zdcal.

    Every start begins afresh: the simulators keep their data in memory, so zdcal's demo
    database is emptied too. With ZDCAL_CRONOFY_CLIENT_ID in the environment (real
    credentials), serve zdcal against the real services instead (see docs/deploy.md).
    """
    if os.environ.get("ZDCAL_CRONOFY_CLIENT_ID"):
        settings = Settings()
        configure_logging(settings.log_level, settings.log_format)
        sock = claim_port(port, "--port")
        asyncio.run(upgrade(settings.database_url))
        click.echo(f"zdcal (real services) at {settings.public_url}")
        serve(settings, sock)
        return
    sock = claim_port(port, "--port")
    # Checked before the data directory is emptied: a demo already running keeps its data.
    for wanted, option in ((zendesk_port, "--zendesk-port"), (cronofy_port, "--cronofy-port"),
                           (google_port, "--google-port"),
                           (microsoft_port, "--microsoft-port")):
        claim_port(wanted, option).close()
    start_fresh(data_dir)
    try:
        sandbox = Sandbox.create(Scenario(), zendesk_port=zendesk_port,
                                 cronofy_port=cronofy_port, google=True, google_port=google_port,
                                 microsoft=True, microsoft_port=microsoft_port)
    except OSError as exc:
        raise click.ClickException(
            f"a demo port is taken ({exc.strerror}); choose others with --port, "
            "--zendesk-port, --cronofy-port, --google-port and --microsoft-port"
        ) from exc
    mail = MailSink(on_mail=_echo_mail)
    mailbox = ServerThread(mail.page_app())
    with sandbox, mail, mailbox, ExitStack() as stack:
        dav = None
        if radicale_available():
            # A child process: stopped (SIGTERM) when the demo leaves this block.
            dav = stack.enter_context(RadicaleProcess(
                data_dir.resolve() / CALDAV_DIR, username=CALDAV_USER, password=CALDAV_PASSWORD,
            ))
        settings = sandbox_settings(data_dir.resolve(), sock.getsockname()[1], sandbox, mail)
        configure_logging(settings.log_level, "text")
        asyncio.run(prepare(settings, sandbox))
        write_cli_environment(settings, data_dir / CLI_ENV, sandbox.calendar_settings())
        click.echo(demo_steps(settings.public_url, sandbox, mailbox.base_url, data_dir, dav),
                   err=False)
        serve(settings, sock)


def _echo_mail(mail: CaughtMail) -> None:
    click.echo(f"[sandbox mail] to {', '.join(mail.recipients)}: {mail.subject}")
