"""The agent's page over plain HTTP: the task list's page parameter, no form that would put
the CSRF token in a URL, and a failure held for a reconnect that the worker does not retry
on every tick."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from web_stack import NIA, Stack, calendar, connect_calendar, csrf_of, open_stack, signed_in_client

from zdcal.clock import SystemClock

DUE = "2030-05-01T15:00:00Z"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack:
        yield stack


# Superscript two passes str.isdigit but breaks int(); Arabic-Indic one passes both.
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1e3", "99999999999", "\u00b2", "\u0661", " 2"])
def test_a_page_number_that_is_not_one_is_a_clear_400(stack: Stack, page: str) -> None:
    with closing(signed_in_client(stack, NIA)) as nia:
        answer = nia.get("/agent", params={"page": page})
    assert answer.status_code == 400
    assert "The task list has pages 1, 2, 3 and so on." in answer.text


def test_no_form_of_the_agent_pages_puts_the_csrf_token_in_a_url(stack: Stack) -> None:
    with closing(signed_in_client(stack, NIA)) as nia:
        pages = [nia.get("/agent").text]  # not connected
        connect_calendar(stack, nia, "ada", confirm=None)
        pages.append(nia.get("/agent").text)  # choosing
        nia.post("/calendar/confirm", data={"csrf_token": csrf_of(pages[-1]),
                                            "calendar_id": calendar("ada")})
        pages.append(nia.get("/agent").text)  # connected
        pages.append(nia.post("/agent/preview", data={
            "csrf_token": csrf_of(pages[-1]), "mode": "all_day"}).text)
        assert nia.get("/agent/preview").status_code == 405  # no preview in a URL
    for html in pages:
        assert 'name="csrf_token"' in html
        for form in re.findall(r"<form\b.*?</form>", html, flags=re.DOTALL):
            opening = form[: form.index(">")]
            if 'name="csrf_token"' in form:
                assert 'method="post"' in opening, opening
                assert 'formmethod="get"' not in form, form


def test_the_confirm_is_refused_without_its_token_and_before_a_link(stack: Stack) -> None:
    with closing(signed_in_client(stack, NIA)) as nia:
        token = csrf_of(nia.get("/agent").text)
        assert nia.post("/calendar/confirm", data={"calendar_id": "x"}).status_code == 403
        early = nia.post("/calendar/confirm", data={"csrf_token": token, "calendar_id": "x"})
        assert early.headers["location"] == "/agent"
        assert "Connect your calendar first." in nia.get("/agent").text
        connect_calendar(stack, nia, "ada", confirm=None)
        wrong = nia.post("/calendar/confirm", data={"csrf_token": token, "calendar_id": "x",
                                                    "mode": "timed", "local_time": "25:00"})
        assert wrong.status_code == 303
        assert "Not started:" in nia.get("/agent").text
        assert stack.events(calendar("ada")) == {}
        assert stack.events(calendar("ada", "tasks")) == {}


def failures(stack: Stack) -> list[tuple[int, str]]:
    with sqlite3.connect(stack.database_file) as db:
        return list(db.execute("SELECT ticket_id, kind FROM failed_tickets"))


def test_a_failure_held_for_a_reconnect_is_let_go_not_retried_every_tick(
    tmp_path: Path,
) -> None:
    clock = SystemClock()
    with (
        open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")], clock=clock,
                   overrides={"sweep_interval_seconds": 3600}) as stack,
        closing(signed_in_client(stack, NIA)) as nia,
    ):
        connect_calendar(stack, nia, "ada")
        stack.cr.put("/_sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
        token = csrf_of(nia.get("/agent").text)
        nia.post("/agent/style", data={"csrf_token": token, "mode": "all_day",
                                       "private": "on"})
        assert failures(stack) == [(1, "unavailable")]
        # The calendar is back but no longer lets zdcal in: the retry finds the agent
        # must reconnect, and reconnecting repairs everything, so the failure goes.
        stack.cr.put("/_sandbox/faults", json={"error_rate": 0.0}).raise_for_status()
        stack.revoke_calendar("acc_sandbox_ada")
        clock.offset_seconds += 61
        deadline = time.monotonic() + 15
        while failures(stack):
            assert time.monotonic() < deadline, "the held failure stayed due"
            time.sleep(0.2)
        page = nia.get("/agent").text
        assert 'id="reconnect"' in page
