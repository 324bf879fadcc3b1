"""``zdcal demo`` as a real process: the steps it prints lead to pages that work, it starts
afresh at every start, tells how to point the CLI at it, and a port in use is one line
naming the port and its option."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cli_harness import ADA_ACCESS, ADA_REFRESH, NIA

from zdcal.calendars.caldav.client import CalDAVClient
from zdcal_testing import free_port, wait_until_ready

ZDCAL = [sys.executable, "-m", "zdcal.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def demo_args(ports: tuple[int, int, int], data_dir: Path) -> list[str]:
    # The direct calendar simulators on free ports too (0), never their defaults.
    return [*ZDCAL, "demo", "--port", str(ports[0]), "--zendesk-port", str(ports[1]),
            "--cronofy-port", str(ports[2]), "--google-port", "0", "--microsoft-port", "0",
            "--data-dir", str(data_dir)]


@contextmanager
def running_demo(work: Path, ports: tuple[int, int, int], data_dir: Path) -> Iterator[str]:
    """A demo process, until its printed steps end; yields what it printed. Stopped with
    SIGINT (Ctrl+C) afterwards."""
    process = subprocess.Popen(demo_args(ports, data_dir), cwd=work, env=clean_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        printed: list[str] = []
        while not printed or "Press Ctrl+C to stop." not in printed[-1]:
            line = process.stdout.readline()
            assert line, "the demo exited early:\n" + "".join(printed)
            printed.append(line)
        wait_until_ready(f"http://127.0.0.1:{ports[0]}", process)
        yield "".join(printed)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def cli_env(path: Path) -> dict[str, str]:
    """The variables of the demo's cli.env, as '. cli.env' would export them."""
    found = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = shlex.split(value)[0] if value else ""
    return found


def zdcal(work: Path, env: dict[str, str], *args: str) -> str:
    finished = subprocess.run([*ZDCAL, *args], cwd=work, env=clean_env(**env),
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_demo_prints_the_simulated_zendesk_agent_page(clean_environment: Path) -> None:
    ports = (free_port(), free_port(), free_port())
    with running_demo(clean_environment, ports, clean_environment / "demo") as printed:
        agent_page = f"http://127.0.0.1:{ports[1]}/agent/tasks"
        assert agent_page in printed, printed
        tasks = httpx.get(agent_page, timeout=10)
    assert tasks.status_code == 200
    assert "Call Acme back about the renewal" in tasks.text  # the demo's sample tasks


def printed_caldav_account(printed: str) -> tuple[str, str, str]:
    """The server URL, username and password the demo prints for the CalDAV form."""
    found = re.search(r"Server address (\S+)\s+Username\s+(\S+)\s+App password\s+(\S+)", printed)
    assert found, printed
    return found[1], found[2], found[3]


async def discover(url: str, username: str, password: str) -> list[str]:
    """What the CalDAV form does with those: discovery, then the usable calendars."""
    async with CalDAVClient(url, username, password) as client:
        found = await client.discover()
        return [c.name for c in await client.calendars(found.calendar_home_url) if c.usable]


def test_the_demos_caldav_server_answers_discovery_with_the_printed_account(
    clean_environment: Path,
) -> None:
    ports = (free_port(), free_port(), free_port())
    with running_demo(clean_environment, ports, clean_environment / "demo") as printed:
        url, username, password = printed_caldav_account(printed)
        assert url.startswith("http://127.0.0.1:")
        assert asyncio.run(discover(url, username, password)) == ["Tasks"]
        assert "Make my subscription link" in printed  # the ICS feed, offered too
    with pytest.raises(httpx.ConnectError):  # the demo stopped its Radicale
        httpx.get(url, timeout=5)


@pytest.mark.slow
def test_a_restarted_demo_starts_afresh_and_its_cli_env_points_the_cli_at_it(
    clean_environment: Path,
) -> None:
    ports = (free_port(), free_port(), free_port())
    data_dir = Path("var/demo")  # the default, relative to the working directory
    with running_demo(clean_environment, ports, data_dir) as printed:
        assert f"open http://127.0.0.1:{ports[0]}" in printed
        assert f". {data_dir / 'cli.env'}" in printed
        assert "Every start begins afresh" in printed
        env = cli_env(clean_environment / data_dir / "cli.env")
        assert env["ZDCAL_CRONOFY_API_URL"] == f"http://127.0.0.1:{ports[2]}"
        zdcal(clean_environment, env | {"ZDCAL_CRONOFY_ACCESS_TOKEN": ADA_ACCESS,
                                        "ZDCAL_CRONOFY_REFRESH_TOKEN": ADA_REFRESH},
              "agents", "add", "--account", "sandbox", "--user-id", str(NIA))
        before = zdcal(clean_environment, env, "status", "--offline")

    with running_demo(clean_environment, ports, data_dir):
        after = zdcal(clean_environment, env, "status", "--offline")

    assert "agents: 1" in before
    # The simulators forgot Nia's calendar connection; so did zdcal, not "reconnect".
    assert after.count("account sandbox") == 1
    assert "agents: 0" in after
    assert "needs_reconnect" not in after


@contextmanager
def held_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.mark.parametrize("option", ["--port", "--zendesk-port", "--cronofy-port"])
def test_a_port_in_use_is_one_line_naming_it_and_the_demos_data_is_left_alone(
    clean_environment: Path, tmp_path: Path, option: str
) -> None:
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    (data_dir / ".zdcal-demo").touch()
    (data_dir / "zdcal.db").write_bytes(b"a running demo's database")
    with held_port() as port:
        ports = {"--port": 0, "--zendesk-port": 0, "--cronofy-port": 0, option: port}
        finished = subprocess.run(
            demo_args((ports["--port"], ports["--zendesk-port"], ports["--cronofy-port"]),
                      data_dir),
            cwd=clean_environment, env=clean_env(), capture_output=True, text=True,
            timeout=120,
        )

    assert finished.returncode == 1
    assert finished.stderr == (
        f"Error: port {port} is in use (Address already in use): stop what listens there, "
        f"or choose another with {option} (0 picks a free one)\n"
    )
    assert (data_dir / "zdcal.db").read_bytes() == b"a running demo's database"


def test_the_demo_will_not_empty_a_directory_holding_another_database(
    clean_environment: Path, tmp_path: Path
) -> None:
    (tmp_path / "zdcal.db").write_bytes(b"someone's real database")

    finished = subprocess.run(demo_args((0, 0, 0), tmp_path), cwd=clean_environment,
                              env=clean_env(), capture_output=True, text=True, timeout=120)

    assert finished.returncode == 1
    assert re.fullmatch(
        rf"Error: {re.escape(str(tmp_path))} holds a zdcal database the demo did not make, .*"
        r"choose another --data-dir\n", finished.stderr,
    ), finished.stderr
    assert (tmp_path / "zdcal.db").read_bytes() == b"someone's real database"
