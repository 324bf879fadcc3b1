"""``zdcal agents add --google-*``: an agent connected to Google Calendar directly with
tokens zdcal's Google client issued (minted by the simulator), their tasks written, and
clear refusals with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_harness import NIA, CliHarness, open_harness

from zdcal.sandbox.runner import Sandbox

USER = "agent@example.com"


@pytest.fixture
def google_cli(clean_environment: Path, tmp_path: Path) -> Iterator[CliHarness]:
    """The CLI with the Google simulator too, and zdcal's Google settings pointing at it."""
    with Sandbox.create(google=True) as sandbox:
        for harness in open_harness(sandbox, tmp_path / "data"):
            harness.env |= {
                f"ZDCAL_{name.upper()}": value
                for name, value in sandbox.google_settings().items()
            }
            harness.secrets.add(sandbox.google_settings()["google_client_secret"])
            yield harness


def tokens(cli: CliHarness) -> tuple[str, str]:
    assert cli.sandbox.google is not None
    minted = httpx.post(f"{cli.sandbox.google.base_url}/_sandbox/users/{USER}/tokens")
    minted.raise_for_status()
    access, refresh = minted.json()["access_token"], minted.json()["refresh_token"]
    cli.secrets |= {access, refresh}
    return access, refresh


def test_an_agent_connects_google_calendar_and_gets_their_tasks(google_cli: CliHarness) -> None:
    cli = google_cli
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z", "Renew the contract")
    cli.ok("sync")
    access, refresh = tokens(cli)
    output = cli.ok("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                    ZDCAL_GOOGLE_ACCESS_TOKEN=access, ZDCAL_GOOGLE_REFRESH_TOKEN=refresh)
    assert "events created 1" in output
    assert f"to calendar '{USER}'" in output
    listing = cli.ok("agents", "list")
    assert "Google Calendar" in listing
    assert cli.sandbox.google is not None
    events = httpx.get(
        f"{cli.sandbox.google.base_url}/_sandbox/calendars/{USER}/events"
    ).json()["items"]
    assert len(events) == 1
    assert "Renew the contract" in events[0]["summary"]
    assert events[0]["start"] == {"date": "2030-05-01"}


def test_refused_google_tokens_and_mixed_options_store_nothing(google_cli: CliHarness) -> None:
    cli = google_cli
    cli.add_account()
    refused = cli.fails("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                        ZDCAL_GOOGLE_ACCESS_TOKEN="stale", ZDCAL_GOOGLE_REFRESH_TOKEN="forged")
    assert "Google Calendar did not accept those tokens" in refused
    mixed = cli.run("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                    "--caldav-provider", "fastmail", "--google-refresh-token", "x")
    assert mixed.exit_code == 2  # a usage error
    assert "give Google tokens or a CalDAV account, not both" in mixed.output
    assert "no agents" in cli.ok("agents", "list")


def test_tokens_without_write_access_are_refused(google_cli: CliHarness) -> None:
    """A read-only grant would list calendars and then fail every write: refused at once."""
    cli = google_cli
    cli.add_account()
    assert cli.sandbox.google is not None
    minted = httpx.post(
        f"{cli.sandbox.google.base_url}/_sandbox/users/{USER}/tokens",
        json={"scopes": ["https://www.googleapis.com/auth/calendar.readonly",
                         "https://www.googleapis.com/auth/calendar.calendarlist.readonly"]},
    )
    minted.raise_for_status()
    access, refresh = minted.json()["access_token"], minted.json()["refresh_token"]
    cli.secrets |= {access, refresh}
    refused = cli.fails("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                        ZDCAL_GOOGLE_ACCESS_TOKEN=access, ZDCAL_GOOGLE_REFRESH_TOKEN=refresh)
    assert "Google did not grant zdcal access to calendar.events" in refused
    assert "no agents" in cli.ok("agents", "list")
