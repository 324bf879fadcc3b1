"""``zdcal accounts add|list|remove`` against the simulated Zendesk."""

from __future__ import annotations

import socket

from cli_harness import (
    ADA_WORK,
    ADMIN_EMAIL,
    ADMIN_TOKEN,
    NIA,
    NIA_TOKEN,
    CliHarness,
)


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_add_connects_and_list_shows_the_account(cli: CliHarness) -> None:
    output = cli.add_account()

    assert output.strip() == (
        f"connected sandbox ({cli.sandbox.zendesk.base_url}) as {ADMIN_EMAIL}"
    )
    listed = cli.ok("accounts", "list").strip().split("\t")
    assert listed == [
        "sandbox", cli.sandbox.zendesk.base_url, "api_token", "backfill not_started", "0 agents",
    ]


def test_add_prompts_for_the_token_without_echoing_it(cli: CliHarness) -> None:
    output = cli.ok(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, input=f"{ADMIN_TOKEN}\n",
    )

    assert "Zendesk API token:" in output
    assert "connected sandbox" in output


def test_wrong_token_is_refused_and_nothing_is_stored(cli: CliHarness) -> None:
    wrong = "not-the-admin-token"
    cli.secrets.add(wrong)

    output = cli.fails(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=wrong,
    )

    assert "did not accept that email and API token" in output
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_a_non_admin_token_is_refused_naming_the_admin_permission(cli: CliHarness) -> None:
    output = cli.fails(
        "accounts", "add", "sandbox", "--email", "nia@sandbox.example",
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=NIA_TOKEN,
    )

    assert "nia@sandbox.example is a Zendesk agent, not an admin" in output
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_an_unreachable_host_is_a_clear_message(cli: CliHarness) -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"

    output = cli.fails(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL, "--base-url", url,
        ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
    )

    assert f"cannot reach Zendesk at {url}" in output
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_adding_a_connected_account_again_updates_it_keeping_agents_and_events(
    cli: CliHarness,
) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)
    events = cli.managed_events(ADA_WORK)
    assert len(events) == 1

    output = cli.ok(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
    )

    assert output.strip() == (
        f"reconnected sandbox ({cli.sandbox.zendesk.base_url}) as {ADMIN_EMAIL}; "
        "its agents and events are kept"
    )
    listed = cli.ok("accounts", "list").strip().splitlines()
    assert len(listed) == 1
    assert listed[0].endswith("\t1 agents")
    assert cli.managed_events(ADA_WORK) == events


def test_a_connected_account_cannot_be_added_at_another_base_url(cli: CliHarness) -> None:
    cli.add_account()
    cli.reset_request_counts()

    output = cli.fails(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", f"{cli.sandbox.zendesk.base_url}/elsewhere",
        ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
    )

    assert "sandbox is already connected with another base URL" in output
    assert cli.api_requests()[0] == 0  # refused before Zendesk was asked
    assert cli.ok("accounts", "list").strip().split("\t")[1] == cli.sandbox.zendesk.base_url


def test_an_invalid_subdomain_is_refused(cli: CliHarness) -> None:
    result = cli.run(
        "accounts", "add", "Not A Subdomain!", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
    )

    assert result.exit_code == 2  # click's usage error
    assert "Invalid value for 'SUBDOMAIN'" in result.output
    assert "must be a lowercase DNS label" in result.output
    assert cli.zd.get("/_sandbox/stats").json()["total"] == 0  # nothing was contacted
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_remove_deletes_the_agents_events_and_the_account(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)
    assert len(cli.managed_events(ADA_WORK)) == 1

    output = cli.ok("accounts", "remove", "sandbox", "--yes")

    assert output.strip() == "removed sandbox"
    assert cli.managed_events(ADA_WORK) == {}
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_remove_keep_events_leaves_the_calendar_alone(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)

    cli.ok("accounts", "remove", "sandbox", "--yes", "--keep-events")

    assert len(cli.managed_events(ADA_WORK)) == 1
    assert cli.ok("accounts", "list").startswith("no accounts")


def test_remove_asks_first_and_keeps_everything_on_no(cli: CliHarness) -> None:
    cli.add_account()

    result = cli.run("accounts", "remove", "sandbox", input="n\n")

    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert cli.ok("accounts", "list").startswith("sandbox\t")


def test_remove_of_an_unknown_account_says_how_to_find_one(cli: CliHarness) -> None:
    output = cli.fails("accounts", "remove", "nope", "--yes")

    assert "no account 'nope'" in output
    assert "zdcal accounts list" in output


def test_a_subdomain_outside_the_allowlist_is_refused_before_zendesk_is_asked(
    cli: CliHarness,
) -> None:
    cli.reset_request_counts()

    output = cli.fails(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
        ZDCAL_ZENDESK_ALLOWED_SUBDOMAINS="acme,globex",
    )

    assert "not one this zdcal serves" in output
    assert cli.api_requests()[0] == 0
    assert cli.ok("accounts", "list").startswith("no accounts")
    allowed = cli.ok(
        "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
        "--base-url", cli.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
        ZDCAL_ZENDESK_ALLOWED_SUBDOMAINS="acme, SANDBOX",
    )
    assert "connected sandbox" in allowed
