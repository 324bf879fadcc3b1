"""``zdcal sandbox`` as a real process, and the example scenario of docs/sandbox.md."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_harness import ADA_WORK, NIA, CliHarness, open_harness
from click.testing import CliRunner

from zdcal.cli import main
from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "scenario.yaml"
ZDCAL = [sys.executable, "-m", "zdcal.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def child_environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    return env | {"PYTHONUNBUFFERED": "1", "ZDCAL_DATA_DIR": str(work / "data")}


def wait_until_answering(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "zdcal sandbox exited early"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answered at {url}")


@pytest.fixture
def sandbox_process(clean_environment: Path) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """``zdcal sandbox`` with the example scenario, every simulator on a free port."""
    zendesk_port, cronofy_port = free_port(), free_port()
    process = subprocess.Popen(
        [*ZDCAL, "sandbox", "--zendesk-port", str(zendesk_port),
         "--cronofy-port", str(cronofy_port), "--google-port", str(free_port()),
         "--microsoft-port", str(free_port()), "--scenario", str(EXAMPLE)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=child_environment(clean_environment),
    )
    try:
        yield process, zendesk_port, cronofy_port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_sandbox_serves_both_simulators_until_terminated(
    sandbox_process: tuple[subprocess.Popen[str], int, int],
) -> None:
    process, zendesk_port, cronofy_port = sandbox_process
    zendesk, cronofy = f"http://127.0.0.1:{zendesk_port}", f"http://127.0.0.1:{cronofy_port}"
    wait_until_answering(f"{zendesk}/_sandbox/state", process)
    wait_until_answering(f"{cronofy}/_sandbox/accounts", process)

    me = httpx.get(f"{zendesk}/api/v2/users/me", auth=("olga@acme.example/token", "olga-token"))
    accounts = httpx.get(f"{cronofy}/_sandbox/accounts").json()["accounts"]
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=20)

    assert me.json()["user"]["id"] == 501  # the scenario's admin, not the default seed
    assert [a["account_id"] for a in accounts] == ["acc_acme_pat"]
    assert process.returncode == 0, stderr
    assert f"Zendesk simulator: {zendesk}  (control: /_sandbox)" in stdout
    assert f"Zendesk agent page: {zendesk}/agent/tasks" in stdout
    assert f"Cronofy simulator: {cronofy}  (control: /_sandbox)" in stdout
    assert re.search(r"Microsoft Graph simulator: http://127\.0\.0\.1:\d+  \(control: "
                     r"/_sandbox\)", stdout)
    assert "Traceback" not in stderr


def test_a_port_in_use_is_a_message_not_a_traceback(clean_environment: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = subprocess.run(
            [*ZDCAL, "sandbox", "--zendesk-port", str(port), "--cronofy-port", "0"],
            capture_output=True, text=True, timeout=60, env=child_environment(clean_environment),
        )

    assert finished.returncode == 1
    assert finished.stderr.startswith("Error: cannot listen on the port:")
    assert "Traceback" not in finished.stderr + finished.stdout


def test_bad_input_through_the_real_entry_point_is_one_line(clean_environment: Path) -> None:
    subprocess.run([*ZDCAL, "db", "upgrade"], capture_output=True, check=True, timeout=60,
                   env=child_environment(clean_environment))
    finished = subprocess.run(
        [*ZDCAL, "agents", "add", "--account", "nope", "--user-id", "1002"],
        capture_output=True, text=True, timeout=60,
        env=child_environment(clean_environment) | {
            "ZDCAL_CRONOFY_ACCESS_TOKEN": "secret-access", "ZDCAL_CRONOFY_REFRESH_TOKEN": "x-y-z",
        },
    )

    assert finished.returncode == 1
    assert finished.stderr.startswith("Error: no account 'nope'")
    assert finished.stderr.count("\n") == 1
    assert "secret-access" not in finished.stderr + finished.stdout


def test_the_example_scenario_seeds_both_simulators_with_faults_and_settings() -> None:
    scenario = load_scenario(EXAMPLE)

    with Sandbox.create(scenario) as sandbox:
        zendesk = httpx.get(f"{sandbox.zendesk.base_url}/_sandbox/state").json()
        zendesk_faults = httpx.get(f"{sandbox.zendesk.base_url}/_sandbox/faults").json()
        cronofy = httpx.get(f"{sandbox.cronofy.base_url}/_sandbox/accounts").json()
        cronofy_faults = httpx.get(f"{sandbox.cronofy.base_url}/_sandbox/faults").json()

    assert sorted(u["id"] for u in zendesk["users"]) == [501, 502, 503]
    tasks = {t["id"]: t for t in zendesk["tickets"] if t["type"] == "task"}
    assert tasks[7001]["due_at"] == "2030-05-01T16:00:00Z"
    assert tasks[7001]["assignee_id"] == 502
    (pat,) = cronofy["accounts"]
    assert [c["calendar_id"] for c in pat["calendars"] if not (c["readonly"] or c["deleted"])] == [
        "cal_acme_pat_main", "cal_acme_pat_tasks",
    ]
    assert zendesk_faults["latency_ms"] == 20
    assert cronofy_faults["error_rate"] == 0.05
    assert sandbox.zendesk_config.subdomain == "acme"
    assert sandbox.cronofy_config.client_id == "acme-zdcal"


def test_zdcal_syncs_the_example_scenario_end_to_end(
    clean_environment: Path, tmp_path: Path
) -> None:
    scenario = load_scenario(EXAMPLE)
    scenario.faults["cronofy"]["error_rate"] = 0.0  # this test is about the data, not retries

    with Sandbox.create(scenario) as sandbox:
        for cli in open_harness(sandbox, tmp_path / "data"):
            cli.secrets |= {"olga-token", "pat-cronofy-access", "pat-cronofy-refresh"}
            cli.ok("accounts", "add", "acme", "--email", "olga@acme.example",
                   "--base-url", sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN="olga-token")
            cli.ok("agents", "add", "--account", "acme", "--user-id", "502",
                   ZDCAL_CRONOFY_ACCESS_TOKEN="pat-cronofy-access",
                   ZDCAL_CRONOFY_REFRESH_TOKEN="pat-cronofy-refresh")
            # The scenario's search index lags 2 s, so the first sync (a backfill through
            # search) may not see the just-seeded tasks; the export read a minute later does.
            first = cli.ok("sync")
            cli.let_export_see_changes()
            second = cli.ok("sync")
            created = re.findall(r"events created (\d+)", first + second)
            assert sum(map(int, created)) == 2

            events = cli.managed_events("cal_acme_pat_main")

    # Pat lives in Los Angeles: 16:00Z on 1 and 3 May is the same date there.
    assert sorted((e["summary"], e["start"], e["end"]) for e in events.values()) == [
        ("#7001 Renew the contract", "2030-05-01", "2030-05-02"),
        ("#7002 Send the quote", "2030-05-03", "2030-05-04"),
    ]


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        pytest.param("zendesk:\n  users: [{name: X, email: not-an-email, role: admin}]\n",
                     "the scenario's zendesk section was refused: Email: is invalid",
                     id="zendesk-seed"),
        pytest.param("cronofy:\n  accounts: [{email: a@b.test, name: A, calendars: []}]\n",
                     "account a@b.test: calendars must be a non-empty list", id="cronofy-seed"),
        pytest.param("faults:\n  zendesk: {error_rate: 3}\n",
                     "faults.zendesk: error_rate must be between 0 and 1", id="faults"),
        pytest.param("settings:\n  cronofy: {colour: blue}\n",
                     "settings.cronofy: unknown ['colour']", id="settings"),
        pytest.param("zendesk: [1, 2]\n", "'zendesk' must be a mapping", id="shape"),
        pytest.param("zendesk: {}\nweather: sunny\n", "unknown keys ['weather']", id="key"),
        pytest.param("zendesk: {users: [\n", "is not valid YAML/JSON", id="syntax"),
    ],
)
def test_a_scenario_the_simulators_refuse_is_one_line_naming_the_problem(
    clean_environment: Path, tmp_path: Path, scenario: str, message: str
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario, encoding="utf-8")

    result = CliRunner().invoke(
        main, ["sandbox", "--scenario", str(path), "--zendesk-port", "0", "--cronofy-port", "0"]
    )

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ")
    assert message in result.output


def test_a_date_only_due_at_is_midnight_utc_and_lands_on_the_agents_local_date(
    cli: CliHarness,
) -> None:
    """docs/sandbox.md, "Task due dates": the simulator reads "2030-05-01" as midnight UTC,
    and zdcal takes the date in the agent's zone: 30 April for Nia in New York."""
    cli.add_account()
    cli.add_agent(NIA)
    ticket = cli.create_task(NIA, "2030-06-01T17:00:00Z")
    cli.ok("sync")

    answer = cli.zd.put(f"/_sandbox/tickets/{ticket}", json={"ticket": {"due_at": "2030-05-01"}})
    answer.raise_for_status()
    cli.let_export_see_changes()
    cli.ok("sync")

    assert answer.json()["ticket"]["due_at"] == "2030-05-01T00:00:00Z"
    (event,) = cli.managed_events(ADA_WORK).values()
    assert (event["start"], event["end"]) == ("2030-04-30", "2030-05-01")
