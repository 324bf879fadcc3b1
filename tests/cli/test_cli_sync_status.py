"""``zdcal sync [--verify]`` and ``zdcal status``."""

from __future__ import annotations

import re

from cli_harness import ADA_ACCOUNT, ADA_WORK, NIA, CliHarness

SUMMARY = re.compile(
    r"^sandbox: tickets read (\d+); events created (\d+), updated (\d+), deleted (\d+), "
    r"failed (\d+); requests: (.+)$",
    re.MULTILINE,
)
API_COUNT = re.compile(r"(cronofy|zendesk) (\d+)")


def summary_of(output: str) -> dict[str, int]:
    """The numbers of the ``zdcal sync`` summary line for the sandbox account.

    An API that was not called is left out of the line ("requests: zendesk 1"); it
    counts as 0 here.
    """
    found = SUMMARY.search(output)
    assert found is not None, output
    names = ("read", "created", "updated", "deleted", "failed")
    numbers = dict(zip(names, map(int, found.groups()[:5]), strict=True))
    requests = {api: int(n) for api, n in API_COUNT.findall(found.group(6))}
    return numbers | {"cronofy": requests.get("cronofy", 0), "zendesk": requests.get("zendesk", 0)}


def delete_ada_work_calendar(cli: CliHarness) -> None:
    """Ada deletes her work calendar at her provider: same account, same tokens.

    The simulator has no "delete calendar" control, so its Cronofy side is rebuilt with
    Ada's account holding her *current* tokens and the work calendar marked deleted.
    """
    ada = cli.cronofy_account(ADA_ACCOUNT)
    grant = ada["grants"][0]
    cli.cr.post("/_sandbox/reset", json={"empty": True}).raise_for_status()
    cli.cr.post("/_sandbox/seed", json={"accounts": [{
        "account_id": ADA_ACCOUNT, "email": ada["email"], "name": ada["name"],
        "default_tzid": ada["default_tzid"],
        "access_token": grant["access_token"], "refresh_token": grant["refresh_token"],
        "calendars": [{"calendar_id": ADA_WORK, "calendar_name": "Ada Agent (work)",
                       "primary": True, "deleted": True}],
    }]}).raise_for_status()


def test_sync_prints_tickets_read_events_written_and_requests_per_api(
    cli: CliHarness,
) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    for day in (1, 2, 3):
        cli.create_task(NIA, f"2030-05-0{day}T17:00:00Z", f"Task {day}")
    cli.reset_request_counts()

    numbers = summary_of(cli.ok("sync"))

    assert numbers["read"] == 3
    assert (numbers["created"], numbers["updated"], numbers["deleted"]) == (3, 0, 0)
    assert numbers["failed"] == 0
    # Every request zdcal counted is one the simulators saw, and the other way round.
    assert (numbers["zendesk"], numbers["cronofy"]) == cli.api_requests()
    assert len(cli.managed_events(ADA_WORK)) == 3


def test_a_second_sync_reads_only_changes(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    ticket = cli.create_task(NIA, "2030-05-01T17:00:00Z", "Before")
    cli.ok("sync")
    cli.zd.put(f"/api/v2/tickets/{ticket}", json={"ticket": {"subject": "After"}})
    cli.let_export_see_changes()

    numbers = summary_of(cli.ok("sync", "--account", "sandbox"))

    assert (numbers["read"], numbers["created"], numbers["updated"]) == (1, 0, 1)
    (event,) = cli.managed_events(ADA_WORK).values()
    assert event["summary"] == f"#{ticket} After"


def test_sync_verify_repairs_an_event_the_user_deleted(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    ticket = cli.create_task(NIA, "2030-05-01T17:00:00Z", "Keep me")
    cli.ok("sync")
    (event_id,) = cli.managed_events(ADA_WORK)
    cli.cr.post(
        "/_sandbox/events/change",
        json={"calendar_id": ADA_WORK, "event_id": event_id, "deleted": True},
    ).raise_for_status()
    cli.let_export_see_changes()
    assert summary_of(cli.ok("sync"))["created"] == 0  # a plain sync trusts its records

    numbers = summary_of(cli.ok("sync", "--verify"))

    assert numbers["created"] == 1
    assert cli.managed_events(ADA_WORK)[event_id]["summary"] == f"#{ticket} Keep me"


def test_sync_without_accounts_or_with_an_unknown_one(cli: CliHarness) -> None:
    assert cli.ok("sync").strip() == ""
    assert "no account 'nope'" in cli.fails("sync", "--account", "nope")


def test_status_shows_agents_cursor_age_and_nothing_failed(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    before = cli.ok("status")
    assert "change feed: last read never" in before
    assert "backfill: not_started" in before

    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    after = cli.ok("status")

    assert f"account sandbox ({cli.sandbox.zendesk.base_url}, api_token)" in after
    assert "backfill: done" in after
    assert re.search(r"change feed: last read \d+ s ago", after), after
    assert "agents: 1" in after
    assert re.search(rf"{NIA} Nia Agent: active, calendar Ada Agent \(work\), synced", after)
    assert "failed tickets: 0" in after


def test_status_shows_a_failed_ticket_with_its_reason(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    cli.create_task(NIA, "2030-05-01T17:00:00Z", "Written")
    cli.ok("sync")
    delete_ada_work_calendar(cli)
    failing = cli.create_task(NIA, "2030-05-02T17:00:00Z", "Refused")
    cli.let_export_see_changes()

    numbers = summary_of(cli.ok("sync"))
    status = cli.ok("status", "--account", "sandbox")

    assert numbers["failed"] == 1
    assert "failed tickets: 1" in status
    assert re.search(
        rf"#{failing}: calendar_id: the calendar has been deleted \(1 attempts, next try "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
        status,
    ), status


def test_status_without_accounts(cli: CliHarness) -> None:
    assert cli.ok("status").startswith("no accounts")
    assert "no account 'nope'" in cli.fails("status", "--account", "nope")
