"""``zdcal agents add|list|remove``: Zendesk agents and their Cronofy calendars."""

from __future__ import annotations

from cli_harness import (
    ADA_ACCESS,
    ADA_ACCOUNT,
    ADA_HOLIDAYS,
    ADA_REFRESH,
    ADA_TASKS,
    ADA_WORK,
    ERIN,
    KENJI,
    NIA,
    CliHarness,
)

ADA_TOKENS = {
    "ZDCAL_CRONOFY_ACCESS_TOKEN": ADA_ACCESS,
    "ZDCAL_CRONOFY_REFRESH_TOKEN": ADA_REFRESH,
}


def test_add_with_env_tokens_writes_the_agents_open_tasks(cli: CliHarness) -> None:
    cli.add_account()
    first = cli.create_task(NIA, "2030-05-01T17:00:00Z", "Renew the contract")
    cli.create_task(NIA, "2030-05-02T17:00:00Z", "Send the quote")
    cli.create_task(KENJI, "2030-05-03T17:00:00Z", "Someone else's task")
    cli.ok("sync")  # the account's first sync reads every open task into the mirror

    output = cli.add_agent(NIA)

    assert "events created 2" in output
    assert "connected Nia Agent <nia@sandbox.example> to calendar 'Ada Agent (work)'" in output
    events = cli.managed_events(ADA_WORK)
    assert sorted(e["summary"] for e in events.values()) == [
        f"#{first} Renew the contract", f"#{first + 1} Send the quote",
    ]


def test_add_with_options_writes_timed_private_events_to_the_chosen_calendar(
    cli: CliHarness,
) -> None:
    cli.add_account()
    ticket = cli.create_task(NIA, "2030-05-01T17:00:00Z", "Renew the contract")
    cli.ok("sync")

    cli.add_agent(
        NIA, "--calendar-id", ADA_TASKS, "--timed", "09:30", "--duration", "45",
        "--reminder", "10", "--private", "--time-zone", "Europe/Paris",
    )

    (event,) = cli.managed_events(ADA_TASKS).values()
    assert event["summary"] == f"Zendesk task #{ticket}"
    # 09:30 in Paris (CEST, UTC+2) on the due date, for 45 minutes.
    assert (event["start"], event["end"]) == ("2030-05-01T07:30:00Z", "2030-05-01T08:15:00Z")
    assert event["reminders"] == [{"minutes": 10}]
    assert cli.managed_events(ADA_WORK) == {}


def test_add_prompts_for_tokens_when_no_env_var_is_set(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.ok(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        input=f"{ADA_ACCESS}\n{ADA_REFRESH}\n",
    )

    assert "Cronofy access token:" in output
    assert "connected Nia Agent" in output


def test_verbose_logging_never_shows_a_token(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")

    # run() fails the test if any token of the seeds reaches the output or the log.
    output = cli.ok("-v", "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
                    **ADA_TOKENS)

    assert "connected Nia Agent" in output


def test_a_read_only_calendar_is_refused_and_no_agent_is_stored(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        "--calendar-id", ADA_HOLIDAYS, **ADA_TOKENS,
    )

    assert "calendar 'Public holidays' is read-only or deleted; choose another" in output
    assert cli.ok("agents", "list").startswith("no agents")


def test_an_unknown_calendar_is_refused(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        "--calendar-id", "cal_nobody", **ADA_TOKENS,
    )

    assert "no calendar 'cal_nobody'" in output
    assert cli.ok("agents", "list").startswith("no agents")


def test_an_unknown_account_is_refused(cli: CliHarness) -> None:
    output = cli.fails(
        "agents", "add", "--account", "nope", "--user-id", str(NIA), **ADA_TOKENS
    )

    assert "no account 'nope'" in output


def test_an_end_user_is_not_an_agent(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(ERIN), **ADA_TOKENS
    )

    assert f"Zendesk user {ERIN} is an end-user, not an agent" in output
    assert cli.ok("agents", "list").startswith("no agents")


def test_wrong_cronofy_tokens_are_a_clear_message(cli: CliHarness) -> None:
    cli.add_account()
    cli.secrets |= {"stale-access", "stale-refresh"}

    output = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        ZDCAL_CRONOFY_ACCESS_TOKEN="stale-access", ZDCAL_CRONOFY_REFRESH_TOKEN="stale-refresh",
    )

    assert "Cronofy did not accept those tokens" in output
    assert cli.ok("agents", "list").startswith("no agents")


def test_an_unknown_zendesk_user_is_a_clear_message(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", "999999", **ADA_TOKENS
    )

    assert "no Zendesk user 999999 in sandbox" in output


def test_bad_style_options_are_refused_before_any_request(cli: CliHarness) -> None:
    cli.add_account()
    cli.reset_request_counts()

    bad_time = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA), "--timed", "25:00",
        **ADA_TOKENS,
    )
    bad_zone = cli.fails(
        "agents", "add", "--account", "sandbox", "--user-id", str(NIA),
        "--time-zone", "Mars/Olympus_Mons", **ADA_TOKENS,
    )

    assert "25:00" in bad_time
    assert "Mars/Olympus_Mons" in bad_zone
    assert cli.api_requests() == (0, 0)


def test_list_shows_each_agent_with_state_calendar_and_event_count(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)

    rows = [line.split("\t") for line in cli.ok("agents", "list").strip().splitlines()]

    assert rows == [
        ["sandbox", str(NIA), "Nia Agent <nia@sandbox.example>", "active",
         "Ada Agent (work)", "1 events", "Cronofy"],
    ]
    assert cli.ok("agents", "list", "--account", "sandbox") == cli.ok("agents", "list")
    assert "no account 'nope'" in cli.fails("agents", "list", "--account", "nope")


def test_remove_deletes_the_events_and_revokes_the_calendar_access(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)
    assert len(cli.managed_events(ADA_WORK)) == 1

    output = cli.ok("agents", "remove", "--account", "sandbox", str(NIA))

    assert output.strip() == f"removed agent {NIA}"
    assert cli.managed_events(ADA_WORK) == {}
    assert cli.cronofy_account(ADA_ACCOUNT)["grants"] == []
    assert cli.ok("agents", "list").startswith("no agents")


def test_remove_keep_events_leaves_the_calendar_alone(cli: CliHarness) -> None:
    cli.add_account()
    cli.create_task(NIA, "2030-05-01T17:00:00Z")
    cli.ok("sync")
    cli.add_agent(NIA)

    cli.ok("agents", "remove", "--account", "sandbox", str(NIA), "--keep-events")

    assert len(cli.managed_events(ADA_WORK)) == 1
    assert cli.ok("agents", "list").startswith("no agents")


def test_remove_of_an_unknown_agent_is_a_clear_message(cli: CliHarness) -> None:
    cli.add_account()

    output = cli.fails("agents", "remove", "--account", "sandbox", str(KENJI))

    assert f"no agent with Zendesk user id {KENJI} in sandbox" in output
