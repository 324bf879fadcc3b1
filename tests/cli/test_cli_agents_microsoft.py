"""``zdcal agents add --microsoft-*``: an agent connected to Microsoft 365 directly with
tokens zdcal's Microsoft app issued (minted by the simulator), their tasks written, and
clear refusals with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_harness import NIA, CliHarness, open_harness

from zdcal.sandbox.runner import Sandbox

USER = "agent@contoso.example"  # the simulator's default mailbox


@pytest.fixture
def microsoft_cli(clean_environment: Path, tmp_path: Path) -> Iterator[CliHarness]:
    """The CLI with the Microsoft simulator too, and zdcal's Microsoft settings pointing
    at it."""
    with Sandbox.create(microsoft=True) as sandbox:
        for harness in open_harness(sandbox, tmp_path / "data"):
            settings = sandbox.microsoft_settings()
            harness.env |= {f"ZDCAL_{name.upper()}": value for name, value in settings.items()}
            harness.secrets.add(settings["microsoft_client_secret"])
            yield harness


def graph(cli: CliHarness) -> str:
    assert cli.sandbox.microsoft is not None
    return cli.sandbox.microsoft.base_url


def tokens(cli: CliHarness, scopes: list[str] | None = None) -> tuple[str, str]:
    body = {"scopes": scopes} if scopes else {}
    minted = httpx.post(f"{graph(cli)}/_sandbox/users/{USER}/tokens", json=body)
    minted.raise_for_status()
    access, refresh = minted.json()["access_token"], minted.json()["refresh_token"]
    cli.secrets |= {access, refresh}
    return access, refresh


def test_an_agent_connects_outlook_and_gets_their_tasks(microsoft_cli: CliHarness) -> None:
    cli = microsoft_cli
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z", "Renew the contract")
    cli.ok("sync")
    access, refresh = tokens(cli)
    output = cli.ok("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                    ZDCAL_MICROSOFT_ACCESS_TOKEN=access, ZDCAL_MICROSOFT_REFRESH_TOKEN=refresh)
    assert "events created 1" in output
    assert "to calendar 'Calendar'" in output
    assert "Microsoft" in cli.ok("agents", "list")
    (event,) = httpx.get(f"{graph(cli)}/_sandbox/users/{USER}/events").json()["value"]
    assert "Renew the contract" in event["subject"]
    assert event["isAllDay"]
    assert event["start"]["dateTime"].startswith("2030-05-01T00:00:00")


def test_refused_microsoft_tokens_and_mixed_options_store_nothing(
    microsoft_cli: CliHarness,
) -> None:
    cli = microsoft_cli
    cli.add_account()
    refused = cli.fails("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                        ZDCAL_MICROSOFT_ACCESS_TOKEN="stale",
                        ZDCAL_MICROSOFT_REFRESH_TOKEN="forged")
    assert "Microsoft" in refused
    assert "did not accept those tokens" in refused
    # Tokens that may only read: refused before anything is written.
    access, refresh = tokens(cli, ["offline_access", "Calendars.Read", "User.Read"])
    read_only = cli.fails("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                          ZDCAL_MICROSOFT_ACCESS_TOKEN=access,
                          ZDCAL_MICROSOFT_REFRESH_TOKEN=refresh)
    assert "Microsoft did not grant zdcal access to write calendars" in read_only
    mixed = cli.run("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                    "--google-refresh-token", "x", "--microsoft-refresh-token", "y")
    assert mixed.exit_code == 2  # a usage error
    assert "give Google tokens or Microsoft tokens, not both" in mixed.output
    several = cli.run("agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                      "--caldav-provider", "fastmail", "--google-refresh-token", "x",
                      "--microsoft-refresh-token", "y")
    assert "give Google tokens or Microsoft tokens or a CalDAV account, not several" in (
        several.output)
    assert "no agents" in cli.ok("agents", "list")
    assert httpx.get(f"{graph(cli)}/_sandbox/users/{USER}/events").json()["value"] == []
