"""``zdcal agents two-way``: whether an agent's calendar changes update Zendesk."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cli_harness import KENJI, NIA, CliHarness


def stored_setting(cli: CliHarness, user_id: int) -> bool | None:
    """The agent's ``two_way`` column, read straight from the SQLite file."""
    database = Path(cli.env["ZDCAL_DATA_DIR"]) / "zdcal.db"
    with closing(sqlite3.connect(database)) as db:
        (value,) = db.execute(
            "SELECT two_way FROM agents WHERE zendesk_user_id = ?", (user_id,)
        ).fetchone()
    return None if value is None else bool(value)


def set_account_default(cli: CliHarness, enabled: bool) -> None:
    database = Path(cli.env["ZDCAL_DATA_DIR"]) / "zdcal.db"
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE accounts SET two_way_default = ?", (int(enabled),))


@pytest.fixture
def with_agent(cli: CliHarness) -> CliHarness:
    cli.add_account()
    cli.add_agent(NIA)
    return cli


def test_an_agent_follows_the_account_default_until_set(with_agent: CliHarness) -> None:
    assert stored_setting(with_agent, NIA) is None


@pytest.mark.parametrize(
    ("setting", "stored", "shown"),
    [("off", False, "off (own setting)"), ("ON", True, "on (own setting)")],
)
def test_on_and_off_are_stored_as_the_agents_own_setting(
    with_agent: CliHarness, setting: str, stored: bool, shown: str
) -> None:
    output = with_agent.ok("agents", "two-way", "--account", "sandbox", str(NIA), setting)

    assert output.strip() == (
        f"agent {NIA} (Nia Agent): calendar changes update Zendesk: {shown}"
    )
    assert stored_setting(with_agent, NIA) is stored


def test_default_hands_the_choice_back_to_the_account(with_agent: CliHarness) -> None:
    with_agent.ok("agents", "two-way", "--account", "sandbox", str(NIA), "on")
    set_account_default(with_agent, False)

    output = with_agent.ok("agents", "two-way", "--account", "sandbox", str(NIA), "default")

    assert stored_setting(with_agent, NIA) is None
    assert output.strip().endswith("calendar changes update Zendesk: off (account default)")


def test_an_unknown_account_is_refused(with_agent: CliHarness) -> None:
    output = with_agent.fails("agents", "two-way", "--account", "nope", str(NIA), "off")

    assert "no account 'nope'" in output
    assert stored_setting(with_agent, NIA) is None


def test_an_unknown_agent_is_refused(with_agent: CliHarness) -> None:
    output = with_agent.fails("agents", "two-way", "--account", "sandbox", str(KENJI), "off")

    assert f"no agent with Zendesk user id {KENJI} in sandbox" in output
    assert stored_setting(with_agent, NIA) is None


def test_a_setting_other_than_on_off_default_is_a_usage_error(with_agent: CliHarness) -> None:
    result = with_agent.run("agents", "two-way", "--account", "sandbox", str(NIA), "sometimes")

    assert result.exit_code == 2
    assert "'sometimes' is not one of 'on', 'off', 'default'" in result.output
    assert stored_setting(with_agent, NIA) is None
