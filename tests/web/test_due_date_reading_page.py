"""How the account's due dates are read: chosen by admins only, with CSRF, shown with a
live example from the account's own tasks, and applied to every agent's events."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from web_stack import (
    ADMIN,
    NIA,
    Stack,
    calendar,
    connected_agent,
    csrf_of,
    open_stack,
    signed_in_client,
)

# 02:00 UTC on 1 May is 22:00 on 30 April in New York, Nia's zone.
NIA_DUE, SUBJECT = "2030-05-01T02:00:00Z", "Send the quote"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("due-dates"),
                    tasks=[(NIA, NIA_DUE, SUBJECT)]) as stack:
        yield stack


@pytest.fixture(scope="module")
def nia(stack: Stack) -> Iterator[httpx.Client]:
    with connected_agent(stack, NIA, "ada") as client:
        yield client


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in_client(stack, ADMIN, next_page="admin")) as client:
        yield client


def admin_page(admin: httpx.Client) -> str:
    """The admin page's HTML, whitespace collapsed."""
    return " ".join(admin.get("/admin").text.split())


def stored(stack: Stack) -> tuple[str, str | None]:
    with closing(sqlite3.connect(stack.database_file)) as db:
        reading, zone = db.execute("SELECT due_date_reading, time_zone FROM accounts").fetchone()
    return reading, zone


def nia_start(stack: Stack) -> str:
    (event,) = stack.events(calendar("ada")).values()
    return str(event["start"])


def test_the_reading_needs_the_csrf_token(stack: Stack, admin: httpx.Client) -> None:
    assert admin.post("/admin/due-dates", data={"due_date_reading": "utc"}).status_code == 403
    assert stored(stack)[0] == "agent_zone"


def test_the_reading_is_for_admins_only(stack: Stack, nia: httpx.Client) -> None:
    token = csrf_of(nia.get("/agent").text)
    answer = nia.post("/admin/due-dates", data={"due_date_reading": "utc", "csrf_token": token})
    assert answer.status_code == 403
    assert stored(stack)[0] == "agent_zone"


@pytest.mark.parametrize("bad", ["noon", "", "UTC ", "agent_zone'; --"])
def test_an_unknown_reading_is_refused(stack: Stack, admin: httpx.Client, bad: str) -> None:
    token = csrf_of(admin.get("/admin").text)
    answer = admin.post("/admin/due-dates", data={"due_date_reading": bad, "csrf_token": token})
    assert answer.status_code == 303
    assert stored(stack)[0] == "agent_zone"
    assert "Not saved: due dates are read as one of agent_zone, account_zone, utc" in (
        admin_page(admin)
    )


def test_the_admin_page_shows_a_live_example(stack: Stack, admin: httpx.Client) -> None:
    page = admin_page(admin)
    assert ('Ticket #1: <code class="whole">due_at</code>'
            ' <code class="whole">2030-05-01T02:00:00Z</code> → shown on'
            " <strong>Tue 30 Apr 2030</strong>") in page
    assert "→ #1 on Wed 1 May 2030" in page  # what UTC (and the account's zone) would show
    assert "The date in the account&#39;s time zone (Etc/UTC)" in page
    assert stored(stack)[1] == "Etc/UTC", "the account's zone is read from Zendesk"


def test_a_new_reading_rewrites_every_agents_events(
    stack: Stack, admin: httpx.Client, nia: httpx.Client
) -> None:
    assert nia_start(stack) == "2030-04-30"
    token = csrf_of(admin.get("/admin").text)
    answer = admin.post("/admin/due-dates", data={"due_date_reading": "utc", "csrf_token": token})
    assert answer.status_code == 303
    assert stored(stack)[0] == "utc"
    deadline = time.monotonic() + 15
    while nia_start(stack) != "2030-05-01":
        assert time.monotonic() < deadline, "Nia's event was not rewritten"
        time.sleep(0.1)
    page = admin_page(admin)
    assert "Saved: due dates are read as the date in UTC" in page
    assert 'value="utc" id="due-dates-utc" checked' in page
    back = {"due_date_reading": "agent_zone", "csrf_token": token}
    assert admin.post("/admin/due-dates", data=back).status_code == 303
    deadline = time.monotonic() + 15
    while nia_start(stack) != "2030-04-30":
        assert time.monotonic() < deadline, "Nia's event was not rewritten back"
        time.sleep(0.1)
