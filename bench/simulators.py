"""Both simulators in a separate process (``zdcal sandbox``), steered through their
control APIs, so that figures of our own process (CPU, memory) exclude theirs; and the
open tasks the live benchmarks watch in the calendars."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx

from population import BenchAgent
from zdcal.domain import AccountInfo
from zdcal.domain.account import event_id_for
from zdcal.sandbox.background import Background, free_port, stop_child

STARTUP_TIMEOUT_SECONDS = 30.0


class SimulatorStartError(RuntimeError):
    """``zdcal sandbox`` did not come up (its output is in the message)."""


class SetupError(RuntimeError):
    """The stack did not reach the state the measurement starts from."""


class SimulatorProcess(Background):
    """``zdcal sandbox --scenario FILE`` as a child process. Use as a context manager.

    ``zdcal sandbox`` serves all four simulators (Zendesk, Cronofy, Google Calendar and
    Microsoft Graph), each on a free port; ``zendesk``, ``cronofy``, ``google`` and
    ``microsoft`` are plain HTTP clients on each one's base URL, meant for the control API
    (``/_sandbox/...``), which is never limited or faulted.
    """

    def __init__(self, scenario: dict[str, Any], work_dir: Path) -> None:
        self.scenario_file = work_dir / "scenario.json"
        self.scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
        self.log_file = work_dir / "sandbox.log"
        self.zendesk_url = f"http://127.0.0.1:{free_port()}"
        self.cronofy_url = f"http://127.0.0.1:{free_port()}"
        self.google_url = f"http://127.0.0.1:{free_port()}"
        self.microsoft_url = f"http://127.0.0.1:{free_port()}"
        self._process: subprocess.Popen[bytes] | None = None
        self.zendesk = httpx.Client(base_url=self.zendesk_url, timeout=120)
        self.cronofy = httpx.Client(base_url=self.cronofy_url, timeout=120)
        self.google = httpx.Client(base_url=self.google_url, timeout=120)
        self.microsoft = httpx.Client(base_url=self.microsoft_url, timeout=120)

    def _clients(self) -> tuple[httpx.Client, ...]:
        return self.zendesk, self.cronofy, self.google, self.microsoft

    def start(self) -> Self:
        command = [
            sys.executable, "-m", "zdcal.cli", "sandbox",
            "--zendesk-port", self.zendesk_url.rsplit(":", 1)[1],
            "--cronofy-port", self.cronofy_url.rsplit(":", 1)[1],
            "--google-port", self.google_url.rsplit(":", 1)[1],
            "--microsoft-port", self.microsoft_url.rsplit(":", 1)[1],
            "--scenario", str(self.scenario_file),
        ]
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 (our own interpreter and CLI)
                command, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                for client in self._clients():
                    client.get("/_sandbox/stats").raise_for_status()
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SimulatorStartError(self.log_file.read_text(encoding="utf-8", errors="replace"))

    def stop(self) -> None:
        for client in self._clients():
            client.close()
        stop_child(self._process, timeout=10)

    # Control API ---------------------------------------------------------------------

    def reset_stats(self) -> None:
        """Start both request counts afresh."""
        self.zendesk.post("/_sandbox/stats/reset").raise_for_status()
        self.cronofy.post("/_sandbox/stats/reset").raise_for_status()

    def zendesk_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.zendesk.get("/_sandbox/stats").json()
        return stats

    def cronofy_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.cronofy.get("/_sandbox/stats").json()
        return stats

    def zendesk_requests(self) -> int:
        """API requests Zendesk answered since the last reset (control API excluded)."""
        return int(self.zendesk_stats()["total"])

    def cronofy_requests(self) -> int:
        """API requests Cronofy answered since the last reset; a batch counts as one."""
        return int(self.cronofy_stats()["requests"])

    def advance_zendesk_clock(self, seconds: float) -> None:
        self.zendesk.post(
            "/_sandbox/clock", json={"advance_seconds": seconds}
        ).raise_for_status()

    def bulk_tickets(self, count: int, **fields: Any) -> tuple[int, int]:
        """Create ``count`` tickets at once (no triggers); returns the first and last id."""
        response = self.zendesk.post("/_sandbox/tickets/bulk", json={"count": count, **fields})
        response.raise_for_status()
        body = response.json()
        return int(body["first_id"]), int(body["last_id"])

    def change_ticket(self, ticket_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change a ticket as an agent in Zendesk's UI would; returns the ticket after."""
        response = self.zendesk.put(f"/_sandbox/tickets/{ticket_id}", json={"ticket": fields})
        response.raise_for_status()
        ticket: dict[str, Any] = response.json()["ticket"]
        return ticket


# Open tasks and their events ---------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A benchmark ticket, its assignee and the id of its event in their calendar."""

    ticket_id: int
    agent: BenchAgent
    event_id: str

    @property
    def calendar_id(self) -> str:
        return self.agent.calendar_id


def create_tasks(
    sim: SimulatorProcess, team: list[BenchAgent], key: str, *, per_agent: int, due_at: str
) -> list[Task]:
    """``per_agent`` open tasks per agent, all due at ``due_at`` (no triggers: zdcal's
    first sweep picks them up)."""
    first, last = sim.bulk_tickets(
        len(team) * per_agent, type="task", status="open",
        assignee_ids=[a.zendesk_user_id for a in team],
        due_at_start=due_at, due_step_seconds=0,
    )
    info = AccountInfo(key=key, subdomain="sandbox")
    # The simulator assigns the i-th ticket to assignee_ids[i % len(assignee_ids)].
    return [
        Task(ticket_id, team[i % len(team)], event_id_for(info, ticket_id))
        for i, ticket_id in enumerate(range(first, last + 1))
    ]


def events_by_id(cronofy: httpx.Client, calendar_id: str) -> dict[str, dict[str, Any]]:
    """The live events of a calendar in the Cronofy simulator, by event id."""
    response = cronofy.get(f"/_sandbox/calendars/{calendar_id}/events")
    response.raise_for_status()
    return {e["event_id"]: e for e in response.json()["events"] if not e["deleted"]}


def wait_for_backfill(sim: SimulatorProcess, tasks: list[Task], timeout: float = 60.0) -> float:
    """Wait until every task's event is in its calendar (zdcal's first sweep); seconds."""
    started = time.monotonic()
    calendars = {t.calendar_id for t in tasks}
    while time.monotonic() - started < timeout:
        present = {eid for c in calendars for eid in events_by_id(sim.cronofy, c)}
        if all(t.event_id in present for t in tasks):
            return time.monotonic() - started
        time.sleep(0.5)
    raise SetupError(f"zdcal did not backfill the {len(tasks)} tasks within {timeout:.0f} s")
