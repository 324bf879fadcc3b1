"""Real CalDAV servers for tests: Radicale and Xandikos, each a process on loopback.

Both run with password (HTTP Basic) authentication, each in its own temporary folder:

* **Radicale** reads a plain htpasswd file (``[auth] type = htpasswd``,
  ``htpasswd_encryption = plain``) and serves plain HTTP. Its principal ``/<user>/`` is
  also the calendar home and appears on the first login; the fixture makes one
  calendar there with MKCALENDAR. ``--auth-delay 0``: Radicale otherwise sleeps a
  second after every refused login.
* **Xandikos** (0.4.10) checks Basic credentials itself (``--htpasswd``; ``{SHA}`` entries
  need no extra package) but only over HTTPS (``--autocert``). We write the certificate
  it would generate ourselves, for 127.0.0.1 as an IP address (its own names the host as
  a DNS name, which TLS clients reject for an IP), and give clients that certificate as
  the only trusted one. So the Xandikos runs exercise real TLS too. ``--defaults`` makes
  the principal ``/user/`` with the calendar ``/user/calendars/calendar/``.

No proxy and no mock sits in between: clients talk to the servers themselves.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zdcal.sandbox.radicale import RadicaleProcess
from zdcal_testing import free_port, stop_process

USERNAME = "alice"
PASSWORD = "correct horse battery staple"
SERVER_NAMES = ("radicale", "xandikos")
_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class CalDAVServer:
    """A running server: where it is, who may log in, and the calendar made for tests."""

    name: str
    url: str
    username: str
    password: str = field(repr=False)
    principal_url: str
    calendar_home_url: str
    calendar_url: str
    verify: ssl.SSLContext | bool
    """What a client must trust to reach it: True for plain HTTP, else a context that
    trusts exactly the server's self-signed certificate."""
    ca_file: Path | None = None
    """The server's certificate, for a setting that names a file (None: plain HTTP)."""

    def http(self) -> httpx.Client:
        """A synchronous, authenticated client for setting up test data."""
        return httpx.Client(
            base_url=self.url, auth=(self.username, self.password), verify=self.verify, timeout=10
        )


def _wait_for_http(url: str, process: subprocess.Popen[str], verify: ssl.SSLContext | bool) -> None:
    """Poll until the server answers anything over HTTP (401 included)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, verify=verify, timeout=2)
            return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} never answered")
        time.sleep(0.02)


def _start(command: list[str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
        )


@contextlib.contextmanager
def radicale(root: Path) -> Iterator[CalDAVServer]:
    """Radicale on a free loopback port with one user and one empty calendar: the one the
    demo and the benchmarks start (:class:`zdcal.sandbox.radicale.RadicaleProcess`)."""
    with RadicaleProcess(root, username=USERNAME, password=PASSWORD) as process:
        yield CalDAVServer(
            name="radicale",
            url=process.url,
            username=USERNAME,
            password=PASSWORD,
            principal_url=process.home_url,
            calendar_home_url=process.home_url,
            calendar_url=process.calendar_url,
            verify=True,
        )


def _write_certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1, where Xandikos looks for its own."""
    directory.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "selfsigned.crt"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "selfsigned.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path


@contextlib.contextmanager
def xandikos(root: Path) -> Iterator[CalDAVServer]:
    """Xandikos over HTTPS on a free loopback port, Basic auth, its default calendar."""
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()  # noqa: S324
    users = root / "users"
    users.write_text(f"{USERNAME}:{{SHA}}{digest}\n")
    state = root / "state"
    certificate = _write_certificate(state / "certs")
    trusted = ssl.create_default_context(cafile=str(certificate))
    port = free_port()
    command = [
        str(_BIN / "xandikos"), "serve",
        "-d", str(root / "collections"),
        "--defaults",
        "-l", "127.0.0.1", "-p", str(port),
        "--autocert", "--state-dir", str(state),
        "--htpasswd", str(users),
        "--no-detect-systemd",
    ]  # fmt: skip
    process = _start(command, root / "xandikos.log")
    try:
        url = f"https://127.0.0.1:{port}"
        _wait_for_http(url, process, trusted)
        yield CalDAVServer(
            name="xandikos",
            url=url,
            username=USERNAME,
            password=PASSWORD,
            principal_url=f"{url}/user/",
            calendar_home_url=f"{url}/user/calendars/",
            calendar_url=f"{url}/user/calendars/calendar/",
            verify=trusted,
            ca_file=certificate,
        )
    finally:
        stop_process(process)


def make_calendar(
    http: httpx.Client, url: str, name: str, components: tuple[str, ...] = ("VEVENT",)
) -> None:
    """MKCALENDAR ``url``: a new, empty calendar named ``name`` for ``components``."""
    comps = "".join(f'<c:comp name="{c}"/>' for c in components)
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        f"<d:set><d:prop><d:displayname>{name}</d:displayname>"
        f"<c:supported-calendar-component-set>{comps}"
        "</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"
    )
    response = http.request(
        "MKCALENDAR", url, content=body, headers={"Content-Type": "application/xml"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"MKCALENDAR {url} answered {response.status_code}: {response.text}")


@contextlib.contextmanager
def caldav_server(name: str, root: Path) -> Iterator[CalDAVServer]:
    """The named server (one of :data:`SERVER_NAMES`) running from ``root``."""
    starters = {"radicale": radicale, "xandikos": xandikos}
    with starters[name](root) as server:
        yield server
