"""Commands find the data the user meant, or say where they looked: only the set-up
commands ('db upgrade', 'accounts add', 'serve', 'demo') start a database and a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_harness import ADMIN_EMAIL, ADMIN_TOKEN, environment

from zdcal.sandbox.runner import Sandbox

ZDCAL = [sys.executable, "-m", "zdcal.cli"]


def zdcal(work: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``zdcal ARGS`` as a real process in ``work``, with no ZDCAL_* but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    return subprocess.run([*ZDCAL, *args], capture_output=True, text=True, timeout=120,
                          cwd=work, env=clean | env)


@pytest.mark.parametrize(
    "command", [["status"], ["status", "--offline"], ["accounts", "list"], ["agents", "list"],
                ["sync"], ["bootstrap"]],
    ids=" ".join,
)
def test_a_reading_command_without_a_database_says_where_it_looked_and_creates_nothing(
    clean_environment: Path, command: list[str]
) -> None:
    finished = zdcal(clean_environment, *command)

    assert finished.returncode == 1
    database = clean_environment / "var" / "zdcal.db"
    assert finished.stderr == (
        f"Error: no zdcal database at {database}; point ZDCAL_DATA_DIR or ZDCAL_DATABASE_URL "
        "at yours (the demo prints how), or start one with 'zdcal db upgrade'\n"
    )
    assert list(clean_environment.iterdir()) == []  # no var/, no key, no database


def test_db_upgrade_starts_a_database_with_its_key_and_then_status_reads_it(
    clean_environment: Path,
) -> None:
    upgraded = zdcal(clean_environment, "db", "upgrade")
    status = zdcal(clean_environment, "status")

    assert upgraded.returncode == 0, upgraded.stderr
    assert sorted(p.name for p in (clean_environment / "var").iterdir()) == [
        "secret.key", "zdcal.db",
    ]
    assert status.returncode == 0, status.stderr
    assert status.stdout == "no accounts; add one with 'zdcal accounts add'\n"


def test_a_database_whose_key_is_missing_is_refused_and_no_new_key_is_made(
    clean_environment: Path, tmp_path: Path
) -> None:
    data = tmp_path / "elsewhere"
    assert zdcal(clean_environment, "db", "upgrade", ZDCAL_DATA_DIR=str(data)).returncode == 0
    (data / "secret.key").unlink()

    finished = zdcal(clean_environment, "accounts", "list", ZDCAL_DATA_DIR=str(data))

    assert finished.returncode == 1
    assert finished.stderr.startswith(
        f"Error: no key at {data / 'secret.key'} and ZDCAL_SECRET_KEY is empty"
    )
    assert finished.stderr.count("\n") == 1
    assert not (data / "secret.key").exists()


def test_accounts_add_starts_a_database_where_none_is(
    clean_environment: Path, tmp_path: Path
) -> None:
    data = tmp_path / "new"
    with Sandbox.create() as sandbox:
        env = environment(sandbox, data)
        del env["ZDCAL_SECRET_KEY"]  # the key file is made with the database
        added = zdcal(clean_environment, "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
                      "--base-url", sandbox.zendesk.base_url,
                      ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN, **env)
        listed = zdcal(clean_environment, "accounts", "list", **env)

    assert added.returncode == 0, added.stderr
    assert (data / "zdcal.db").is_file()
    assert (data / "secret.key").is_file()
    assert listed.stdout.startswith("sandbox\t")
