"""``zdcal sync`` tells what it is doing: a bar on a terminal, plain lines in a log, the
verify results in its summary, and why a sync right after a change read nothing."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from cli_harness import ADA_WORK, NIA, CliHarness

ZDCAL = [sys.executable, "-m", "zdcal.cli"]


def sync_process(cli: CliHarness, *args: str, terminal: bool) -> tuple[str, str, int]:
    """``zdcal sync ARGS`` as a real process: (stdout, stderr, exit status), stderr on a
    pseudo-terminal when ``terminal``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")} | cli.env
    if not terminal:
        done = subprocess.run([*ZDCAL, "sync", *args], env=env, capture_output=True,
                              text=True, timeout=300)
        return done.stdout, done.stderr, done.returncode
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen([*ZDCAL, "sync", *args], env=env, stdout=subprocess.PIPE,
                                   stderr=follower, text=True)
        os.close(follower)
        stdout, _ = process.communicate(timeout=300)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other side closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return stdout, b"".join(chunks).decode(), process.returncode


def an_event_deleted_by_hand(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    cli.create_task(NIA, "2030-05-01T17:00:00Z", "Keep me")
    cli.create_task(NIA, "2030-05-02T17:00:00Z", "Keep me too")
    cli.ok("sync")
    event_id = next(iter(cli.managed_events(ADA_WORK)))
    cli.cr.post(
        "/_sandbox/events/change",
        json={"calendar_id": ADA_WORK, "event_id": event_id, "deleted": True},
    ).raise_for_status()


def test_verify_on_a_terminal_draws_a_bar_and_sums_up_what_it_repaired(
    cli: CliHarness,
) -> None:
    an_event_deleted_by_hand(cli)

    stdout, terminal, status = sync_process(cli, "--verify", terminal=True)

    assert status == 0, terminal
    assert "\rsandbox: verifying calendars [------------------------] 0/1 agents" in terminal
    assert "\rsandbox: verifying calendars [########################] 1/1 agents" in terminal
    assert stdout.splitlines()[0].endswith(
        "; verify: 1 agents, events rewritten 1, strays removed 0"
    )
    assert len(cli.managed_events(ADA_WORK)) == 2


def test_a_long_sync_in_a_log_prints_plain_progress_lines(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    cli.zd.post("/_sandbox/tickets/bulk", json={
        "count": 250, "assignee_ids": [NIA], "due_at_start": "2030-05-01T17:00:00Z",
    }).raise_for_status()
    # A slow answer makes the sync outlast the 5 s a log waits for a progress line.
    cli.zd.put("/_sandbox/faults", json={"latency_ms": 6000}).raise_for_status()

    stdout, stderr, status = sync_process(cli, terminal=False)

    assert status == 0, stderr
    lines = stderr.splitlines()
    assert lines, "no progress was printed"
    assert "\r" not in stderr
    assert all(
        line.startswith("sandbox: ") and line.endswith(" events written") for line in lines
    ), lines
    assert "tickets read 250" in stdout


def test_a_sync_right_after_a_change_says_why_it_read_nothing(cli: CliHarness) -> None:
    cli.add_account()
    cli.add_agent(NIA)
    ticket = cli.create_task(NIA, "2030-05-01T17:00:00Z", "Before")
    cli.ok("sync")
    cli.let_export_see_changes()
    cli.ok("sync")  # the account now follows the incremental export
    cli.zd.put(f"/api/v2/tickets/{ticket}", json={"ticket": {"subject": "After"}})

    at_once = cli.ok("sync")
    cli.let_export_see_changes()
    a_minute_later = cli.ok("sync")

    assert "tickets read 0;" in at_once
    assert (
        "sandbox: nothing new was read: Zendesk's incremental export withholds the newest "
        "minute of changes, so a change made in the last minute is read by a sync a minute "
        "later"
    ) in at_once
    assert "tickets read 1;" in a_minute_later
    assert "nothing new was read" not in a_minute_later
