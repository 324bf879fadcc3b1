"""``zdcal`` starts quickly: a command's module, and what it needs, load only when used."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from zdcal.cli import main
from zdcal.cli.base import COMMANDS

# What the web service, the sync engine and the simulators bring in.
HEAVY = ["sqlalchemy", "alembic", "httpx", "starlette", "uvicorn", "pydantic", "jinja2",
         "cryptography", "zdcal.sandbox", "zdcal.store", "zdcal.sync", "zdcal.web"]
# What a command that only reads the database must not load either.
# (and Alembic: a database already at the newest revision needs no migration).
API_AND_WEB = ["httpx", "starlette", "uvicorn", "jinja2", "zdcal.sandbox", "zdcal.sync",
               "zdcal.web", "zdcal.live.services", "zdcal.calendars", "zdcal.zendesk",
               "zdcal.http", "zdcal.mail", "alembic"]
# What a SQLite database does not need: the PostgreSQL driver. (SQLAlchemy's PostgreSQL
# dialect does load: the tickets table's partial index names a 'postgresql_where'.)
POSTGRESQL_DRIVER = ["psycopg", "procrastinate"]

PROBE = """
import json, sys
from zdcal.cli import main
try:
    main(sys.argv[1:], prog_name="zdcal")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_by(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> set[str]:
    """The modules a real ``zdcal ARGS`` process had imported when it finished."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
        cwd=cwd, env=environment | (env or {}),
    )
    modules: list[str] = json.loads(finished.stderr.strip().splitlines()[-1])
    return set(modules)


def under(modules: set[str], names: list[str]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_help_loads_none_of_the_heavy_modules(clean_environment: Path) -> None:
    modules = loaded_by(["--help"], clean_environment)

    assert "click" in modules  # the probe did run zdcal
    assert under(modules, HEAVY) == []
    assert not any(m.startswith("zdcal.cli.") and m != "zdcal.cli.base" for m in modules)


def test_status_offline_loads_the_store_but_no_api_client_or_web_stack(
    clean_environment: Path, tmp_path: Path
) -> None:
    env = {"ZDCAL_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-m", "zdcal.cli", "db", "upgrade"], check=True,
                   capture_output=True, timeout=120, cwd=clean_environment,
                   env={k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")} | env)

    modules = loaded_by(["status", "--offline"], clean_environment, env)

    assert "zdcal.cli.status" in modules
    assert "sqlalchemy" in modules
    assert under(modules, API_AND_WEB) == []
    assert under(modules, POSTGRESQL_DRIVER) == []


def first_sentence(command: click.Command) -> str:
    paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s", paragraph)[0]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_summary_of_each_command_is_its_own_first_sentence(name: str) -> None:
    command = main.get_command(click.Context(main), name)

    assert command is not None
    assert COMMANDS[name][1] == first_sentence(command)
    listing = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert f"{name} {COMMANDS[name][1]}" in listing
