"""Run the ``zdcal`` command line in-process against both simulators and a temp database.

Every invocation goes through :meth:`CliHarness.run`, which checks the two promises the
CLI makes on every path: no Python traceback reaches the user, and no secret (API token,
Cronofy token, client secret) is ever printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from zdcal.cli import main
from zdcal.sandbox.runner import Sandbox
from zdcal.store import generate_key

ADMIN_EMAIL = "admin@sandbox.example"
ADMIN_TOKEN = "sandbox-admin-token"
# Zendesk users of the simulator's default seed (docs/sandbox-zendesk.md).
NIA, KENJI, ERIN = 1002, 1003, 1100
NIA_TOKEN = "sandbox-nia-token"
# Cronofy's default seed: Ada's ready tokens and calendars (docs/sandbox-cronofy.md).
ADA_ACCESS, ADA_REFRESH = "sandbox-access-ada", "sandbox-refresh-ada"
ADA_ACCOUNT = "acc_sandbox_ada"
ADA_WORK, ADA_TASKS, ADA_HOLIDAYS = (
    "cal_sandbox_ada_work",
    "cal_sandbox_ada_tasks",
    "cal_sandbox_ada_holidays",
)


def environment(sandbox: Sandbox, data_dir: Path) -> dict[str, str]:
    """The ZDCAL_* variables pointing zdcal at the simulators and a temp SQLite file."""
    return {
        "ZDCAL_DATA_DIR": str(data_dir),
        "ZDCAL_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}",
        "ZDCAL_SECRET_KEY": generate_key(),
        "ZDCAL_CRONOFY_API_URL": sandbox.cronofy.base_url,
        "ZDCAL_CRONOFY_APP_URL": sandbox.cronofy.base_url,
        "ZDCAL_CRONOFY_CLIENT_ID": sandbox.cronofy_config.client_id,
        "ZDCAL_CRONOFY_CLIENT_SECRET": sandbox.cronofy_config.client_secret,
    }


@dataclass
class CliHarness:
    """The CLI, both simulators (plain HTTP handles on them) and the secrets to watch for."""

    sandbox: Sandbox
    env: dict[str, str]
    zd: httpx.Client
    cr: httpx.Client
    secrets: set[str] = field(default_factory=set)

    # The command line ----------------------------------------------------------------

    def run(self, *args: str, input: str | None = None, **env: str) -> Result:
        """Invoke ``zdcal ARGS``; fail the test on a traceback or a printed secret."""
        runner = CliRunner()
        result = runner.invoke(main, list(args), input=input, env={**self.env, **env})
        # CliRunner swallows unexpected exceptions into ``result.exception``: any that is
        # not click's own exit would have been a traceback for a real user.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"zdcal {' '.join(args)} raised") from result.exception
        assert "Traceback" not in result.output
        for secret in self.secrets | {self.env["ZDCAL_SECRET_KEY"]}:
            assert secret not in result.output, f"zdcal {' '.join(args)} printed a secret"
        return result

    def ok(self, *args: str, input: str | None = None, **env: str) -> str:
        """Invoke and expect success; the output."""
        result = self.run(*args, input=input, **env)
        assert result.exit_code == 0, result.output
        return result.output

    def fails(self, *args: str, input: str | None = None, **env: str) -> str:
        """Invoke and expect exit status 1 with an ``Error:`` line; the output."""
        result = self.run(*args, input=input, **env)
        assert result.exit_code == 1, result.output
        assert "Error: " in result.output
        return result.output

    def add_account(self) -> str:
        """Connect the simulated Zendesk as ``sandbox`` with the seeded admin's token."""
        return self.ok(
            "accounts", "add", "sandbox", "--email", ADMIN_EMAIL,
            "--base-url", self.sandbox.zendesk.base_url, ZDCAL_ZENDESK_API_TOKEN=ADMIN_TOKEN,
        )

    def add_agent(self, user_id: int = NIA, *extra: str) -> str:
        """Connect a Zendesk agent to Ada's Cronofy account (tokens from env vars)."""
        return self.ok(
            "agents", "add", "--account", "sandbox", "--user-id", str(user_id), *extra,
            ZDCAL_CRONOFY_ACCESS_TOKEN=ADA_ACCESS, ZDCAL_CRONOFY_REFRESH_TOKEN=ADA_REFRESH,
        )

    # The simulated Zendesk -----------------------------------------------------------

    def create_task(self, assignee: int, due_at: str, subject: str = "Call back") -> int:
        body = {"subject": subject, "type": "task", "assignee_id": assignee, "due_at": due_at,
                "comment": {"body": f"Details of {subject}"}}
        response = self.zd.post("/api/v2/tickets", json={"ticket": body})
        assert response.status_code == 201, response.text
        ticket_id: int = response.json()["ticket"]["id"]
        return ticket_id

    def let_export_see_changes(self) -> None:
        """The incremental export withholds the newest minute: step past it."""
        self.zd.post("/_sandbox/clock", json={"advance_seconds": 61}).raise_for_status()

    # The simulated Cronofy -----------------------------------------------------------

    def managed_events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """The live events zdcal wrote to a simulated calendar, by event id."""
        response = self.cr.get(f"/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
        return {
            e["event_id"]: e["sent"]
            for e in response.json()["events"]
            if e.get("event_id") and not e.get("deleted")
        }

    def cronofy_account(self, account_id: str) -> dict[str, Any]:
        accounts = self.cr.get("/_sandbox/accounts").json()["accounts"]
        found: dict[str, Any] = next(a for a in accounts if a["account_id"] == account_id)
        return found

    def api_requests(self) -> tuple[int, int]:
        """(Zendesk, Cronofy) API requests the simulators counted since the last reset."""
        zendesk = self.zd.get("/_sandbox/stats").json()
        cronofy = self.cr.get("/_sandbox/stats").json()
        return int(zendesk["total"]), int(cronofy["requests"])

    def reset_request_counts(self) -> None:
        self.zd.post("/_sandbox/stats/reset").raise_for_status()
        self.cr.post("/_sandbox/stats/reset").raise_for_status()


def open_harness(sandbox: Sandbox, data_dir: Path) -> Iterator[CliHarness]:
    """A harness on a started sandbox; closes its HTTP handles afterwards."""
    with (
        httpx.Client(
            base_url=sandbox.zendesk.base_url, auth=(f"{ADMIN_EMAIL}/token", ADMIN_TOKEN),
            timeout=30,
        ) as zd,
        httpx.Client(base_url=sandbox.cronofy.base_url, timeout=30) as cr,
    ):
        harness = CliHarness(sandbox, environment(sandbox, data_dir), zd, cr)
        harness.secrets |= {
            ADMIN_TOKEN, NIA_TOKEN, ADA_ACCESS, ADA_REFRESH,
            sandbox.cronofy_config.client_secret,
        }
        # An installation set up the way the docs say; commands other than the set-up ones
        # refuse to start a database of their own (tests/cli/test_cli_finds_its_data.py).
        harness.ok("db", "upgrade")
        yield harness
