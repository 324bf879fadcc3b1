"""A real Radicale (CalDAV server) as a child process on loopback, for the demo and the
benchmarks: one user with a password (HTTP Basic, plain htpasswd) and one empty calendar.

Radicale is a development dependency, not a runtime one: :func:`radicale_available` tells
whether it can be started here.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from zdcal.sandbox.background import Background, free_port, stop_child

STARTUP_TIMEOUT_SECONDS = 30.0
INSTALL_HINT = "pip install radicale; `python3 dev.py setup` installs it with the dev tools"


def radicale_available() -> bool:
    """Whether the ``radicale`` package is installed in this Python."""
    return importlib.util.find_spec("radicale") is not None


@dataclass
class RadicaleProcess(Background):
    """Radicale serving ``root`` on a free loopback port. Use as a context manager.

    ``calendar_url`` is an empty calendar (VEVENT) made with MKCALENDAR once the server
    answers; the principal ``/<username>/`` is also the calendar home.
    """

    root: Path
    username: str = "demo"
    password: str = field(default="demo-app-password", repr=False)
    calendar_name: str = "tasks"
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home_url(self) -> str:
        return f"{self.url}/{self.username}/"

    @property
    def calendar_url(self) -> str:
        return f"{self.home_url}{self.calendar_name}/"

    def http(self) -> httpx.Client:
        """An authenticated client for setting things up on the server."""
        return httpx.Client(base_url=self.url, auth=(self.username, self.password), timeout=10)

    def start(self) -> RadicaleProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        users = self.root / "users"
        users.write_text(f"{self.username}:{self.password}\n")
        users.chmod(0o600)
        self.port = free_port()
        command = [
            sys.executable, "-m", "radicale", "--config", "",
            "--server-hosts", f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder", str(self.root / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(users),
            "--auth-htpasswd-encryption", "plain",
            "--auth-delay", "0",
            "--logging-level", "warning",
        ]  # fmt: skip
        with (self.root / "radicale.log").open("wb") as log:
            # Our own interpreter and fixed arguments: nothing untrusted reaches the command.
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait()
            self._make_calendar()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM the server if it still runs, then wait (SIGKILL after 10 s)."""
        process, self.process = self.process, None
        stop_child(process, timeout=10.0)

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                httpx.get(self.url, timeout=2)
                return
            except httpx.HTTPError:
                pass
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.root / "radicale.log").read_text(errors="replace")
                raise RuntimeError(f"radicale exited with status {self.process.returncode}: {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"radicale never answered on {self.url}")
            time.sleep(0.02)

    def _make_calendar(self) -> None:
        with self.http() as http:
            # The principal (and home) appears on the first authenticated request.
            http.request("PROPFIND", self.home_url, headers={"Depth": "0"}).raise_for_status()
            make_calendar(http, self.calendar_url, self.calendar_name.title())


def make_calendar(http: httpx.Client, url: str, name: str) -> None:
    """MKCALENDAR ``url``: a new, empty calendar for events named ``name`` (if absent)."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        f"<d:set><d:prop><d:displayname>{name}</d:displayname>"
        '<c:supported-calendar-component-set><c:comp name="VEVENT"/>'
        "</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"
    )
    response = http.request(
        "MKCALENDAR", url, content=body, headers={"Content-Type": "application/xml"}
    )
    if response.status_code not in (201, 405):  # 405: it exists already (a restart)
        raise RuntimeError(f"MKCALENDAR {url} answered {response.status_code}: {response.text}")
