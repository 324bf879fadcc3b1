"""The admin page's numbers are true: open tasks, events in calendars, the last sweep and
the last verify (kept in the database), and every agent Zendesk lists, page by page."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from web_stack import (
    ADMIN,
    NIA,
    Stack,
    calendar,
    connected_agent,
    eventually,
    open_stack,
    signed_in_client,
)

from zdcal.domain import AccountInfo, event_id_for

TASKS = 3
DUE = "2030-05-0{}T15:00:00Z"


def number(html: str, element_id: str) -> int | None:
    """The count shown in the element with this id (thousands separators read back)."""
    match = re.search(rf'id="{element_id}">([0-9,]+)<', html)
    return int(match.group(1).replace(",", "")) if match else None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tasks = [(NIA, DUE.format(day), f"Task {day}") for day in range(1, TASKS + 1)]
    with open_stack(tmp_path_factory.mktemp("admin-numbers"), tasks=tasks,
                    overrides={"sweep_interval_seconds": 2}) as stack:
        yield stack


@pytest.fixture(scope="module")
def nia(stack: Stack) -> Iterator[httpx.Client]:
    with connected_agent(stack, NIA, "ada") as client:
        yield client


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in_client(stack, ADMIN, next_page="admin")) as client:
        yield client


def test_after_a_backfill_the_page_shows_every_task_and_event(
    stack: Stack, nia: httpx.Client, admin: httpx.Client
) -> None:
    def events_shown() -> int | None:
        return number(admin.get("/admin").text, "events-in-calendars")

    assert eventually(lambda: events_shown() == TASKS, 20), events_shown()
    html = admin.get("/admin").text
    assert number(html, "open-tasks") == TASKS
    assert len(stack.events(calendar("ada"))) == TASKS
    assert "Tickets read / events written" not in html


def test_one_change_shows_as_one_change_and_one_write_in_the_last_sweep(
    stack: Stack, nia: httpx.Client, admin: httpx.Client
) -> None:
    # Let the sweeps read the seeded tasks (the export withholds its newest minute).
    stack.advance_zendesk(61)
    assert eventually(lambda: number(admin.get("/admin").text, "sweep-changes") == TASKS, 20)
    assert eventually(lambda: number(admin.get("/admin").text, "sweep-changes") == 0, 20)
    ticket_id = next(iter(sorted(stack.events(calendar("ada")))))
    ticket_id = int(ticket_id.rpartition("-")[2])
    changed = stack.zd.put(f"/api/v2/tickets/{ticket_id}",
                           json={"ticket": {"due_at": "2030-07-01T15:00:00Z"}})
    assert changed.status_code == 200, changed.text
    stack.advance_zendesk(61)

    def sweep_with_changes() -> str | None:
        html = admin.get("/admin").text
        return html if number(html, "sweep-changes") else None

    html = eventually(sweep_with_changes, 20)
    assert html, "no sweep read the change"
    assert (number(html, "sweep-changes"), number(html, "sweep-writes")) == (1, 1)
    assert number(html, "events-in-calendars") == TASKS


def test_verify_shows_what_it_repaired_after_a_restart_of_the_page(
    stack: Stack, nia: httpx.Client, admin: httpx.Client
) -> None:
    with sqlite3.connect(stack.database_file) as db:
        (key,) = db.execute("SELECT key FROM accounts").fetchone()
    grants = stack.cr.get("/_sandbox/accounts").json()["accounts"]
    token = next(g["access_token"] for a in grants if a["account_id"] == "acc_sandbox_ada"
                 for g in a["grants"] if g["access_token"])
    # An event of this account's that zdcal has no record of: verify removes it.
    stray = event_id_for(AccountInfo(key=key, subdomain="sandbox"), 987_654)
    written = stack.cr.post(
        f"/v1/calendars/{calendar('ada')}/events",
        headers={"Authorization": f"Bearer {token}"},
        json={"event_id": stray, "summary": "Left over", "description": "",
              "start": "2030-05-20", "end": "2030-05-21", "tzid": "Etc/UTC"},
    )
    assert written.status_code == 202, written.text
    page = admin.get("/admin").text
    assert 'id="verify-removed"' not in page
    token_field = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token_field
    started = admin.post("/admin/verify", data={"csrf_token": token_field.group(1)})
    assert started.status_code == 303

    def verify_shown() -> str | None:
        html = admin.get("/admin").text
        return html if 'id="verify-removed"' in html else None

    html = eventually(verify_shown, 20)
    assert html, "the verify result never appeared"
    assert number(html, "verify-removed") == 1
    assert number(html, "verify-repaired") == 0
    assert stray not in stack.events(calendar("ada"))
    with sqlite3.connect(stack.database_file) as db:  # kept beyond this process
        row = db.execute(
            "SELECT events_deleted, error FROM sync_runs WHERE kind = 'verify'"
        ).fetchone()
    assert row == (1, None)


def test_zendesk_agents_who_never_signed_in_are_listed_with_an_invitation(
    stack: Stack, admin: httpx.Client
) -> None:
    html = admin.get("/admin").text
    rows = dict(re.findall(r'<tr class="([^"]+)" data-agent="(\d+)"', html))
    not_connected = {int(uid) for cls, uid in
                     re.findall(r'<tr class="([^"]+)" data-agent="(\d+)"', html)
                     if cls == "not-connected"}
    assert not_connected == {1003, 1004, 1005}  # Kenji, Lena, Sam; not Erin (end user)
    assert rows  # the admin (who signed in) and Nia are rows of their own
    assert f'value="{stack.url}/signin?account=sandbox"' in html
    assert "(you)" in html
    # The invitation signs an agent in through the account's Zendesk.
    with httpx.Client() as browser:
        start = browser.get(f"{stack.url}/signin?account=sandbox")
    assert start.status_code == 303
    assert start.headers["location"].startswith(stack.sandbox.zendesk.base_url)


def test_thousands_of_agents_are_paged_with_separators(tmp_path: Path) -> None:
    with open_stack(tmp_path) as stack:
        people = [{"name": f"Agent {n:04d}", "email": f"agent{n}@sandbox.example",
                   "role": "agent"} for n in range(1_200)]
        stack.zd.post("/_sandbox/seed", json={"users": people}).raise_for_status()
        with closing(signed_in_client(stack, ADMIN, next_page="admin")) as admin:
            first = " ".join(admin.get("/admin").text.split())
            assert "1,205 agents and admins in Zendesk: 0 connected" in first
            assert "1,204 not connected." in first
            assert first.count('class="not-connected"') == 49  # the admin's own row first
            assert "Page 1 of 25 (1,205 agents)" in first
            last = " ".join(admin.get("/admin", params={"page": "25"}).text.split())
            assert last.count('class="not-connected"') == 5
            assert "Agent 1199" in last
            assert admin.get("/admin", params={"page": "999"}).text.count("Page 25 of 25") == 1
            assert "Page 1 of 25" in admin.get("/admin", params={"page": "x"}).text
