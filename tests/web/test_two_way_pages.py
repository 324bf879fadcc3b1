"""The two-way switches over plain HTTP: the agent's own setting, the account default (for
admins), the per-agent column of the admin page, and the tasks kept off a calendar after
the agent deleted their events in the (simulated) calendar."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from web_stack import (
    ADMIN,
    KENJI,
    NIA,
    Stack,
    calendar,
    connect_calendar,
    csrf_of,
    open_stack,
    signed_in_client,
)

NIA_DUE, KENJI_DUE = "2030-05-01T15:00:00Z", "2030-06-03T15:00:00Z"
KEPT_OFF_SUBJECT, KENJI_SUBJECT = "Renew Acme's contract", "Ship the parcel"


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tasks = [(NIA, NIA_DUE, KEPT_OFF_SUBJECT), (KENJI, KENJI_DUE, KENJI_SUBJECT)]
    with open_stack(tmp_path_factory.mktemp("two-way"), tasks=tasks) as stack:
        yield stack


def connected(stack: Stack, user_id: int, owner: str) -> Iterator[httpx.Client]:
    """An agent signed in, with their calendar connected (which opens its push channel)."""
    client = signed_in_client(stack, user_id)
    assert connect_calendar(stack, client, owner).headers["location"] == "/agent"
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def nia(stack: Stack) -> Iterator[httpx.Client]:
    yield from connected(stack, NIA, "ada")


@pytest.fixture(scope="module")
def kenji(stack: Stack) -> Iterator[httpx.Client]:
    yield from connected(stack, KENJI, "bob")


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in_client(stack, ADMIN, next_page="admin")) as client:
        yield client


@pytest.fixture(autouse=True)
def settings_restored(stack: Stack) -> Iterator[None]:
    """Every test starts from the defaults: account on, every agent following it."""
    yield
    with sqlite3.connect(stack.database_file) as db:
        db.execute("UPDATE accounts SET two_way_default = 1")
        db.execute("UPDATE agents SET two_way = NULL")


# What is stored, read straight from SQLite -------------------------------------------------


def agent_setting(stack: Stack, user_id: int) -> bool | None:
    with closing(sqlite3.connect(stack.database_file)) as db:
        (value,) = db.execute(
            "SELECT two_way FROM agents WHERE zendesk_user_id = ?", (user_id,)
        ).fetchone()
    return None if value is None else bool(value)


def account_default(stack: Stack) -> bool:
    with closing(sqlite3.connect(stack.database_file)) as db:
        (value,) = db.execute("SELECT two_way_default FROM accounts").fetchone()
    return bool(value)


def checked(html: str, name: str) -> str:
    """The value of the checked radio button named ``name``."""
    (value,) = re.findall(
        rf'<input type="radio" name="{name}" value="([a-z]+)"[^>]*\s+checked>', html
    )
    return value


def admin_row_setting(html: str, user_id: int) -> str:
    match = re.search(rf'<td class="two-way" data-agent="{user_id}">([^<]+)', html)
    assert match, f"no two-way cell for agent {user_id}"
    return match.group(1).strip()


# The agent's switch --------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
def test_the_agent_switch_needs_the_csrf_token(
    stack: Stack, kenji: httpx.Client, token: str | None
) -> None:
    data = {"two_way": "off"} | ({"csrf_token": token} if token else {})

    answer = kenji.post("/agent/two-way", data=data)

    assert answer.status_code == 403, answer.text
    assert agent_setting(stack, KENJI) is None
    assert checked(kenji.get("/agent").text, "two_way") == "default"


@pytest.mark.parametrize(("choice", "stored"), [("on", True), ("off", False), ("default", None)])
def test_the_agent_switch_stores_each_choice(
    stack: Stack, kenji: httpx.Client, choice: str, stored: bool | None
) -> None:
    # Start from the opposite of the wanted value, so that "default" is really written.
    with sqlite3.connect(stack.database_file) as db:
        db.execute("UPDATE agents SET two_way = ? WHERE zendesk_user_id = ?",
                   (0 if stored is None else int(not stored), KENJI))
    token = csrf_of(kenji.get("/agent").text)

    answer = kenji.post("/agent/two-way", data={"csrf_token": token, "two_way": choice})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/agent"
    assert agent_setting(stack, KENJI) is stored
    page = kenji.get("/agent").text
    assert checked(page, "two_way") == choice
    expected_state = "off" if stored is False else "on"  # the account default is on
    assert f"Now <strong>{expected_state}</strong>" in page
    assert "Saved." in page


def test_an_unknown_choice_is_refused_and_nothing_is_stored(
    stack: Stack, kenji: httpx.Client
) -> None:
    token = csrf_of(kenji.get("/agent").text)

    answer = kenji.post("/agent/two-way", data={"csrf_token": token, "two_way": "sometimes"})

    assert answer.status_code == 303
    assert agent_setting(stack, KENJI) is None
    assert "Not saved: &#39;sometimes&#39; is not a two-way setting" in kenji.get("/agent").text


def test_the_agent_page_explains_the_rules(kenji: httpx.Client) -> None:
    rules = " ".join(kenji.get("/agent").text.split())

    assert "changes its due date in Zendesk" in rules
    assert "Zendesk wins: if the ticket changed in Zendesk meanwhile" in rules
    assert "Deleting an event does not delete or solve the ticket" in rules
    assert "until its due date, assignee or type changes" in rules


# The account default -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
def test_the_account_switch_needs_the_csrf_token(
    stack: Stack, admin: httpx.Client, token: str | None
) -> None:
    assert admin.get("/admin").status_code == 200
    data = {"two_way_default": "off"} | ({"csrf_token": token} if token else {})

    assert admin.post("/admin/two-way", data=data).status_code == 403
    assert account_default(stack) is True


def test_the_account_switch_is_for_admins_only(stack: Stack, kenji: httpx.Client) -> None:
    token = csrf_of(kenji.get("/agent").text)

    answer = kenji.post("/admin/two-way", data={"csrf_token": token, "two_way_default": "off"})

    assert answer.status_code == 403
    assert account_default(stack) is True


def test_an_admin_turns_the_account_default_off_and_on(
    stack: Stack, admin: httpx.Client, kenji: httpx.Client
) -> None:
    token = csrf_of(admin.get("/admin").text)

    off = admin.post("/admin/two-way", data={"csrf_token": token, "two_way_default": "off"})

    assert off.status_code == 303
    assert account_default(stack) is False
    page = admin.get("/admin").text
    assert checked(page, "two_way_default") == "off"
    assert admin_row_setting(page, KENJI) == "off (account default)"
    agent_page = kenji.get("/agent").text
    assert "(currently off)" in agent_page
    assert "Now <strong>off</strong>" in agent_page

    on = admin.post("/admin/two-way", data={"csrf_token": token, "two_way_default": "on"})

    assert on.status_code == 303
    assert account_default(stack) is True
    assert checked(admin.get("/admin").text, "two_way_default") == "on"


@pytest.mark.parametrize("value", ["default", "maybe", ""])
def test_the_account_default_is_only_on_or_off(
    stack: Stack, admin: httpx.Client, value: str
) -> None:
    token = csrf_of(admin.get("/admin").text)

    answer = admin.post("/admin/two-way", data={"csrf_token": token, "two_way_default": value})

    assert answer.status_code == 303
    assert account_default(stack) is True
    assert "Not saved" in admin.get("/admin").text


def test_the_admin_page_shows_each_agents_setting(
    stack: Stack, admin: httpx.Client, nia: httpx.Client, kenji: httpx.Client
) -> None:
    token = csrf_of(kenji.get("/agent").text)
    kenji.post("/agent/two-way", data={"csrf_token": token, "two_way": "off"})

    page = admin.get("/admin").text

    assert admin_row_setting(page, KENJI) == "off (own setting)"
    assert admin_row_setting(page, NIA) == "on (account default)"


# What the switch does, and what deleting an event does ------------------------------------------


def event_of(stack: Stack, owner: str, subject: str) -> tuple[str, dict[str, Any]]:
    """The live event of a task in a simulated calendar: its id and the body zdcal sent."""
    (found,) = [(event_id, sent) for event_id, sent in stack.events(calendar(owner)).items()
                if sent["summary"].endswith(subject)]
    return found


def shown_start(stack: Stack, owner: str, event_id: str) -> str:
    """Where the calendar shows the event now (after the agent's moves), not what zdcal sent."""
    response = stack.cr.get(f"/_sandbox/calendars/{calendar(owner)}/events")
    (event,) = [e for e in response.json()["events"] if e.get("event_id") == event_id]
    start: str = event["start"]
    return start


def ticket_of(event: dict[str, Any]) -> int:
    return int(event["summary"].split()[0].removeprefix("#"))


def due_at(stack: Stack, ticket_id: int) -> str:
    value: str = stack.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]["due_at"]
    return value


def move(stack: Stack, owner: str, event_id: str, day: str, next_day: str) -> None:
    """Drag the event to another day, as the agent would (the simulator notifies zdcal)."""
    stack.cr.post("/_sandbox/events/change", json={
        "calendar_id": calendar(owner), "event_id": event_id, "start": day, "end": next_day,
    }).raise_for_status()


def test_the_agents_switch_decides_what_a_moved_event_does(
    stack: Stack, kenji: httpx.Client
) -> None:
    event_id, event = event_of(stack, "bob", KENJI_SUBJECT)
    ticket_id, written_day = ticket_of(event), event["start"]
    assert written_day == "2030-06-04"  # Kenji is in Tokyo: 15:00 UTC is midnight there
    token = csrf_of(kenji.get("/agent").text)
    kenji.post("/agent/two-way", data={"csrf_token": token, "two_way": "off"})

    move(stack, "bob", event_id, "2030-06-10", "2030-06-11")

    # Off: the event is put back and Zendesk keeps its due date.
    assert shown_start(stack, "bob", event_id) == "2030-06-10"
    eventually(lambda: shown_start(stack, "bob", event_id) == written_day)
    assert due_at(stack, ticket_id) == KENJI_DUE

    kenji.post("/agent/two-way", data={"csrf_token": token, "two_way": "default"})
    move(stack, "bob", event_id, "2030-06-10", "2030-06-11")

    # Following the account (on): the due date follows the calendar, at the same local
    # time of day (midnight in Tokyo), and the event stays where the agent put it.
    eventually(lambda: due_at(stack, ticket_id) == "2030-06-09T15:00:00Z")
    assert shown_start(stack, "bob", event_id) == "2030-06-10"


def test_a_deleted_event_is_listed_as_kept_off_the_calendar(
    stack: Stack, nia: httpx.Client, admin: httpx.Client
) -> None:
    event_id, event = event_of(stack, "ada", KEPT_OFF_SUBJECT)
    ticket_id = ticket_of(event)
    row = f'<li class="task kept-off" id="task-{ticket_id}">'
    assert row not in nia.get("/agent").text
    assert f'<li class="task on-calendar" id="task-{ticket_id}">' in nia.get("/agent").text

    stack.cr.post("/_sandbox/events/change", json={
        "calendar_id": calendar("ada"), "event_id": event_id, "deleted": True,
    }).raise_for_status()

    eventually(lambda: row in nia.get("/agent").text)
    page = nia.get("/agent").text
    (item,) = re.findall(re.escape(row) + r"(.*?)</li>", page, flags=re.DOTALL)
    link = f"{stack.sandbox.zendesk.base_url}/agent/tickets/{ticket_id}"
    assert f'<a class="task-subject" href="{link}"' in item
    assert f"#{ticket_id}\n        Renew Acme&#39;s contract</a>" in item  # autoescaped
    assert "Kept off your calendar: you deleted its event." in item
    assert "kept off your\n    calendar because you deleted its event" in page
    assert event_id not in stack.events(calendar("ada"))
    ticket = stack.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    assert (ticket["status"], ticket["due_at"]) == ("open", NIA_DUE)
    assert "1 task kept off the calendar" in admin.get("/admin").text
