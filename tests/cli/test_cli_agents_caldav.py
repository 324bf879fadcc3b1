"""``zdcal agents add --caldav-*``: an agent's CalDAV account on a real server (Radicale
over HTTP, Xandikos over TLS): discovery, the calendar offered, clear refusals with
nothing stored."""

from __future__ import annotations

import uuid

import pytest
from cli_harness import NIA, CliHarness

from caldav_backend.caldav_servers import CalDAVServer, make_calendar
from zdcal.calendars.caldav.connector import PROVIDERS
from zdcal.cli.agents import CALDAV_PROVIDERS


@pytest.fixture
def dav(cli: CliHarness, caldav_server_running: CalDAVServer) -> CalDAVServer:
    server = caldav_server_running
    cli.secrets.add(server.password)
    if server.ca_file is not None:
        cli.env["ZDCAL_CALDAV_CA_FILE"] = str(server.ca_file)
    return server


def calendar(server: CalDAVServer, components: tuple[str, ...] = ("VEVENT",)) -> str:
    url = f"{server.calendar_home_url}cli{uuid.uuid4().hex[:8]}/"
    with server.http() as http:
        make_calendar(http, url, "Zendesk tasks", components)
    return url


def add(cli: CliHarness, server: CalDAVServer, *extra: str, password: str | None = None,
        ok: bool = True) -> str:
    args = ("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
            "--caldav-provider", "generic", "--caldav-url", server.url,
            "--caldav-username", server.username, *extra)
    env = {"ZDCAL_CALDAV_PASSWORD": password or server.password}
    return cli.ok(*args, **env) if ok else cli.fails(*args, **env)


def test_an_agent_connects_a_caldav_calendar_and_gets_their_tasks(
    cli: CliHarness, dav: CalDAVServer
) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z", "Renew the contract")
    cli.ok("sync")
    url = calendar(dav)
    output = add(cli, dav, "--calendar-id", url)
    assert "events created 1" in output
    assert "connected Nia Agent <nia@sandbox.example> to calendar 'Zendesk tasks'" in output
    assert "\tactive\tZendesk tasks\t1 events" in cli.ok("agents", "list")
    with dav.http() as http:
        listing = http.request("PROPFIND", url, headers={"Depth": "1"})
    assert listing.text.count(".ics</") == 1


def test_wrong_password_not_caldav_and_a_calendar_without_events_are_refused(
    cli: CliHarness, dav: CalDAVServer
) -> None:
    cli.add_account()
    url = calendar(dav)
    refused = add(cli, dav, "--calendar-id", url, password="wrong", ok=False)
    assert "refused that username or password" in refused
    todo = calendar(dav, ("VTODO",))
    read_only = add(cli, dav, "--calendar-id", todo, ok=False)
    assert "read-only or deleted" in read_only
    not_dav = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        "--caldav-provider", "generic", "--caldav-url", cli.sandbox.zendesk.base_url,
        "--caldav-username", "u", ZDCAL_CALDAV_PASSWORD="p",
    )
    assert "cannot be used as a calendar server" in not_dav
    missing_url = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        "--caldav-provider", "nextcloud", "--caldav-username", "u", ZDCAL_CALDAV_PASSWORD="p",
    )
    assert "needs its URL" in missing_url
    assert "no agents" in cli.ok("agents", "list")


def test_the_cli_offers_the_backends_providers() -> None:
    assert CALDAV_PROVIDERS == PROVIDERS
