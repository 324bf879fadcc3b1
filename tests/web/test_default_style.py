"""The account-wide default event style: set by admins only, with CSRF, and applied to
the events of agents who did not choose a style of their own."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

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

NIA_DUE, SUBJECT = "2030-05-01T15:00:00Z", "Call Acme back"
TIMED = {"mode": "timed", "local_time": "08:15", "duration_minutes": "20", "reminders": "10",
         "private": "on"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("default-style"),
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


def stored_default(stack: Stack) -> Any:
    with closing(sqlite3.connect(stack.database_file)) as db:
        (value,) = db.execute("SELECT default_style FROM accounts").fetchone()
    return None if value is None else json.loads(value)


def nia_event(stack: Stack) -> dict[str, Any]:
    events = stack.cr.get(f"/_sandbox/calendars/{calendar('ada')}/events").json()["events"]
    (event,) = [e for e in events if e.get("managed") and not e["deleted"]]
    return {**event["sent"], "start": event["start"], "end": event["end"]}


def test_the_default_style_needs_the_csrf_token(stack: Stack, admin: httpx.Client) -> None:
    assert admin.post("/admin/style", data=TIMED).status_code == 403
    assert stored_default(stack) is None


def test_the_default_style_is_for_admins_only(stack: Stack, nia: httpx.Client) -> None:
    token = csrf_of(nia.get("/agent").text)
    assert nia.post("/admin/style", data={**TIMED, "csrf_token": token}).status_code == 403
    assert stored_default(stack) is None


def test_a_bad_style_is_refused(stack: Stack, admin: httpx.Client) -> None:
    token = csrf_of(admin.get("/admin").text)
    bad = {**TIMED, "local_time": "25:99", "csrf_token": token}
    assert admin.post("/admin/style", data=bad).status_code == 303
    assert stored_default(stack) is None
    assert "Not saved" in admin.get("/admin").text


def test_agents_without_a_style_get_the_accounts_default(
    stack: Stack, admin: httpx.Client, nia: httpx.Client
) -> None:
    assert nia_event(stack)["start"] == "2030-05-01"  # zdcal's default: all day
    token = csrf_of(admin.get("/admin").text)
    answer = admin.post("/admin/style", data={**TIMED, "csrf_token": token})
    assert answer.status_code == 303
    assert stored_default(stack)["local_time"] == "08:15"
    deadline = time.monotonic() + 15
    while nia_event(stack)["start"] == "2030-05-01":
        assert time.monotonic() < deadline, "Nia's event was not rewritten"
        time.sleep(0.1)
    event = nia_event(stack)
    assert event["start"] == "2030-05-01T12:15:00Z"  # 08:15 in New York (EDT)
    assert event["end"] == "2030-05-01T12:35:00Z"
    assert event["event_private"] is True
    assert event["reminders"] == [{"minutes": 10}]
    assert 'value="08:15"' in nia.get("/agent").text  # her page shows what she gets
    reset = admin.post("/admin/style", data={"csrf_token": token, "reset": "1"})
    assert reset.status_code == 303
    assert stored_default(stack) is None
