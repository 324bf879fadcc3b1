"""The proof: O365 (python-o365 2.1, MSAL inside) pointed at the simulator over TLS does the whole
OAuth code flow, lists calendars, creates, reads, updates, pages and deletes events, refreshes
its token; every Graph answer it receives is checked against the documented shapes.

MSAL insists on an https authority, so the simulator is served with a throwaway self-signed
certificate for 127.0.0.1 here; O365's only change is its base URL (a protocol subclass) and an
MSAL client built with ``instance_discovery=False`` (it would otherwise ask
login.microsoftonline.com whether the authority is known).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import requests
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from graph_shapes import body_problems
from ms_sim_support import AGENT, CLIENT_ID, CLIENT_SECRET, MARKER, REDIRECT_URI, TENANT
from msal import ConfidentialClientApplication
from O365 import Account, MSGraphProtocol
from O365.utils.token import MemoryTokenBackend

from zdcal.sandbox.microsoft import MicrosoftSimConfig, create_app
from zdcal.sandbox.server import KEEP_ALIVE_SECONDS, ServerThread

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "sim.pem", folder / "sim.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path


class TlsServerThread(ServerThread):
    """ServerThread, served over https with the given certificate."""

    def __init__(self, app: Any, cert: Path, key: Path) -> None:
        super().__init__(app)
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=5, timeout_keep_alive=KEEP_ALIVE_SECONDS,
            ssl_certfile=str(cert), ssl_keyfile=str(key),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsServerThread, Path]]:
    cert, key = _certificate(tmp_path_factory.mktemp("tls"))
    # Short-lived access tokens: MSAL refreshes any token with under 5 minutes left.
    app = create_app(MicrosoftSimConfig(access_token_ttl_seconds=60))
    with TlsServerThread(app, cert, key) as server:
        yield server, cert


class ShapeCheck:
    """A requests response hook: every Graph answer O365 receives goes through the checker."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen = 0

    def __call__(self, response: requests.Response, *_: Any, **__: Any) -> None:
        if "/v1.0/" not in response.url or not response.content:
            return
        self.seen += 1
        partial = "select" in response.url
        where = f"{response.request.method} {response.url} -> {response.status_code}"
        self.problems += [f"{where}: {p}" for p in body_problems(response.json(),
                                                                 partial=partial)]


def _sign_in(account: Account, base: str, cert: Path) -> None:
    """O365 + MSAL start the flow; the "browser" (httpx) consents as the agent."""
    url, flow = account.con.get_authorization_url(
        requested_scopes=["Calendars.ReadWrite", "User.Read"], redirect_uri=REDIRECT_URI)
    assert url.startswith(f"{base}/{TENANT}/oauth2/v2.0/authorize?")
    with httpx.Client(verify=_trust(cert), timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        form = dict(httpx.QueryParams(url.split("?", 1)[1]))
        answer = browser.post(url.split("?", 1)[0], data={**form, "user": AGENT})
    assert answer.status_code == 302
    assert account.con.request_token(answer.headers["location"], flow=flow)


def _trust(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def account(tls: tuple[TlsServerThread, Path],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Account, ShapeCheck]]:
    server, cert = tls
    # requests prefers these variables over a session's own ``verify``: let O365's apply.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with httpx.Client(base_url=server.base_url, verify=_trust(cert)) as control:
        assert control.post("/_sandbox/reset").status_code == 200
    protocol_class = type("SimulatedGraph", (MSGraphProtocol,),
                          {"_protocol_url": server.base_url + "/"})
    account = Account((CLIENT_ID, CLIENT_SECRET), tenant_id=TENANT,
                      protocol=protocol_class(timezone=BERLIN),
                      token_backend=MemoryTokenBackend(), verify_ssl=str(cert))
    account.con._msal_client = ConfidentialClientApplication(
        CLIENT_ID, client_credential=CLIENT_SECRET, authority=f"{server.base_url}/{TENANT}",
        token_cache=account.con.token_backend, verify=str(cert), instance_discovery=False)
    _sign_in(account, server.base_url, cert)
    check = ShapeCheck()
    account.con.session = account.con.get_session(load_token=True)
    account.con.session.hooks["response"].append(check)
    yield account, check
    account.con.session.close()  # idle keep-alive connections would hold up the server's stop
    account.con.msal_client.http_client.close()
    assert check.seen, "O365 made no Graph call"
    assert check.problems == []


def test_o365_signs_in_and_lists_calendars(account: tuple[Account, ShapeCheck]) -> None:
    o365, _ = account
    assert o365.is_authenticated
    assert o365.con.username == AGENT
    schedule = o365.schedule()
    calendars = schedule.list_calendars()
    assert [c.name for c in calendars] == ["Calendar", "Support tasks", "Team (shared)"]
    assert [c.can_edit for c in calendars] == [True, True, False]
    assert schedule.get_default_calendar().name == "Calendar"
    assert calendars[2].owner.address == "lead@contoso.example"


def test_o365_event_lifecycle_and_paging(account: tuple[Account, ShapeCheck]) -> None:
    o365, _ = account
    calendar = o365.schedule().get_calendar(calendar_name="Support tasks")
    event = calendar.new_event()
    event.subject = "Ticket #7: call the customer"
    event.body = "Call back before noon."
    event.start = dt.datetime(2030, 5, 1, 9, 0, tzinfo=BERLIN)
    event.end = dt.datetime(2030, 5, 1, 9, 30, tzinfo=BERLIN)
    event.sensitivity = "private"
    event.remind_before_minutes = 5
    assert event.save()
    assert event.object_id.startswith("AAMk")

    read = calendar.get_event(event.object_id)
    assert read.subject == "Ticket #7: call the customer"
    assert read.start == dt.datetime(2030, 5, 1, 9, 0, tzinfo=BERLIN)
    assert read.remind_before_minutes == 5
    assert read.sensitivity.value == "private"

    read.subject = "Ticket #7: called"
    read.start = dt.datetime(2030, 5, 1, 11, 0, tzinfo=BERLIN)
    read.end = dt.datetime(2030, 5, 1, 11, 30, tzinfo=BERLIN)
    assert read.save()
    again = calendar.get_event(event.object_id)
    assert (again.subject, again.start.hour) == ("Ticket #7: called", 11)

    for number in range(4):
        extra = calendar.new_event()
        extra.subject = f"extra {number}"
        extra.start = dt.datetime(2030, 5, 2 + number, 9, 0, tzinfo=BERLIN)
        extra.end = dt.datetime(2030, 5, 2 + number, 10, 0, tzinfo=BERLIN)
        assert extra.save()
    listed = list(calendar.get_events(limit=None, batch=2, include_recurring=False))
    assert len(listed) == 5  # three pages of at most 2, followed by @odata.nextLink

    assert again.delete()
    with pytest.raises(requests.HTTPError, match="404"):
        calendar.get_event(event.object_id)


def test_o365_all_day_event(account: tuple[Account, ShapeCheck]) -> None:
    o365, _ = account
    calendar = o365.schedule().get_default_calendar()
    event = calendar.new_event()
    event.subject = "Ticket #8: due"
    event.start = dt.date(2030, 6, 1)
    event.is_all_day = True
    assert event.save()
    read = calendar.get_event(event.object_id)
    assert read.is_all_day
    assert read.start.date() == dt.date(2030, 6, 1)
    assert read.end.date() == dt.date(2030, 6, 2)


def test_o365_refreshes_its_token_and_gets_a_new_refresh_token(
    account: tuple[Account, ShapeCheck], tls: tuple[TlsServerThread, Path]
) -> None:
    o365, _ = account
    state = tls[0].app.state.simulator.state  # type: ignore[attr-defined]
    before = set(state.refresh_tokens)
    assert o365.con.refresh_token()
    assert len(set(state.refresh_tokens) - before) == 1  # a new one, rotated
    assert o365.schedule().get_default_calendar().name == "Calendar"


def test_o365_finds_a_marked_event_by_extended_property_filter(
    account: tuple[Account, ShapeCheck], tls: tuple[TlsServerThread, Path]
) -> None:
    o365, _ = account
    calendar = o365.schedule().get_default_calendar()
    token = o365.con.token_backend.get_access_token(username=AGENT)["secret"]
    server, cert = tls
    with httpx.Client(base_url=server.base_url + "/v1.0", verify=_trust(cert)) as http:
        for value in ("acme:9", "acme:10"):
            made = http.post("/me/events", headers={"Authorization": f"Bearer {token}"}, json={
                "subject": f"marked {value}", "singleValueExtendedProperties": [
                    {"id": MARKER, "value": value}],
                "start": {"dateTime": "2030-07-01T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2030-07-01T10:00:00", "timeZone": "UTC"}})
            assert made.status_code == 201
            assert body_problems(made.json()) == []
    wanted = f"singleValueExtendedProperties/Any(ep: ep/id eq '{MARKER}' and ep/value eq 'acme:9')"
    found = list(calendar.get_events(query=wanted, include_recurring=False))
    assert [e.subject for e in found] == ["marked acme:9"]
