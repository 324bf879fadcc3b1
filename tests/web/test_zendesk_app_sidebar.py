"""The ticket sidebar's words over real HTTP, for each state a task can be in, read from
zdcal's own records; resync queues the ticket for the workers; the settings view saves
a style through the agent page's use-case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from web_stack import (
    KENJI,
    NIA,
    Stack,
    calendar,
    connected_agent,
    cronofy_consent,
    csrf_of,
    eventually,
    open_stack,
)
from zendesk_app_kit import (
    app_api,
    app_token,
    in_store,
    install_app,
    keep_off_and_fail,
    open_view,
    signed_token,
)

from zdcal.clock import SystemClock

DUE = "2030-05-01T15:00:00Z"


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
def stack(tmp_path: Path, clock: SystemClock) -> Iterator[Stack]:
    tasks = [(NIA, DUE, "On the calendar"), (KENJI, DUE, "Kenji's task"),
             (NIA, DUE, "Deleted from the calendar"), (NIA, DUE, "Refused by the calendar")]
    with open_stack(tmp_path, tasks=tasks, clock=clock) as stack:
        yield stack


def test_the_sidebar_says_where_each_task_is(stack: Stack) -> None:
    on, kenji, kept, failed = 1, 2, 3, 4  # the tasks' ids, in creation order
    with connected_agent(stack, NIA, "ada"):
        installation = install_app(stack)
        token = app_token(open_view(stack, signed_token(stack, installation, NIA)))

        with app_api(stack, token) as api:
            assert eventually(lambda: api.get(f"/tickets/{on}").json()["state"] == "on-calendar")
            in_store(stack, partial(keep_off_and_fail, kept=kept, failed=failed,
                                     agent=NIA))
            said = {t: api.get(f"/tickets/{t}").json() for t in (on, kenji, kept, failed, 999)}
    assert said[on]["words"].startswith("On your calendar")
    assert said[on]["date"]
    assert said[on]["whose"] == "your calendar"
    assert said[on]["connect"] is False
    assert said[kenji]["state"] == "off"
    assert "has not connected a calendar" in said[kenji]["words"]
    assert said[kept]["state"] == "kept-off"
    assert "you deleted its event" in said[kept]["words"]
    assert said[failed]["state"] == "failed"
    assert "Your calendar refused this event." in said[failed]["words"]
    assert "tries again" in said[failed]["words"]
    assert "422" not in said[failed]["words"]  # the detail is for admins
    assert said[999]["words"] == "Not on a calendar: this ticket is not a task."


def test_connect_my_calendar_goes_straight_to_the_calendar_service(stack: Stack) -> None:
    installation = install_app(stack)
    page = open_view(stack, signed_token(stack, installation, NIA))
    assert 'data-backend="cronofy"' in page.text
    assert "Connect my calendar" in page.text  # Cronofy is the one OAuth service here
    assert 'id="connect-other"' in page.text  # CalDAV and the subscription link
    with app_api(stack, app_token(page)) as api:
        status = api.get("/tickets/1").json()
        link = api.post("/handoff", json={"backend": "cronofy"}).json()["url"]
        other = api.post("/handoff", json={"backend": ""}).json()["url"]
        unknown = api.post("/handoff", json={"backend": "google"})  # not set up here
        assert status["connect"] is True
        assert status["words"] == "Not on a calendar: connect your calendar."
        assert unknown.status_code == 400
        assert link.startswith(stack.url + "/zendesk-app/open?h=")
        # A connect link is no app token, and an app token no connect link.
        assert api.get("/tickets/1", headers={
            "Authorization": f"Bearer {parse_qs(urlsplit(link).query)['h'][0]}"
        }).status_code == 401
    with httpx.Client(timeout=30) as thief:
        swapped = thief.get(stack.url + "/zendesk-app/open", params={"h": app_token(page)})
        assert swapped.status_code == 401

    with httpx.Client(base_url=stack.url, timeout=30) as window:
        # CalDAV and the subscription link are not OAuth: the agent page's connect section.
        assert window.get(other).headers["location"] == "/agent#connect-card"
        assert 'id="caldav-connect"' in window.get("/agent").text
    with httpx.Client(base_url=stack.url, timeout=30) as window:
        opened = window.get(link)
        assert opened.status_code == 303
        consent = opened.headers["location"]  # the calendar service's, at once
        assert consent.startswith(stack.sandbox.cronofy.base_url)
        query = parse_qs(urlsplit(consent).query)
        assert query["redirect_uri"] == [stack.url + "/calendar/callback"]
        assert query["state"][0]  # bound to this window's session, as on the agent page
        back = window.get(cronofy_consent(stack, consent, "acc_sandbox_ada"))
        assert back.headers["location"] == "/zendesk-app/connected"
        choose = window.get("/zendesk-app/connected")
        assert 'id="choose-card"' in choose.text
        assert stack.events(calendar("ada")) == {}  # nothing written before the choice
        with app_api(stack, app_token(page)) as api:
            linked = api.get("/tickets/1").json()
        assert linked["words"] == "Not on a calendar: choose the calendar your tasks go to."
        assert (linked["connect"], linked["ready"]) == (True, False)
        done = window.post("/calendar/confirm", data={
            "csrf_token": csrf_of(choose.text), "calendar_id": calendar("ada"),
            "after": "app"})
        assert done.headers["location"] == "/zendesk-app/connected"
        said = window.get("/zendesk-app/connected").text
        assert "You can close this window" in said
    with app_api(stack, app_token(page)) as api:
        assert eventually(lambda: api.get("/tickets/1").json()["state"] == "on-calendar")

    with httpx.Client(timeout=30) as thief:
        replayed = thief.get(link)
    assert replayed.status_code == 401  # single use
    assert "used already" in replayed.text


def test_an_agent_whose_calendar_broke_reconnects_from_the_sidebar(stack: Stack) -> None:
    with connected_agent(stack, NIA, "ada"):
        installation = install_app(stack)
        token = app_token(open_view(stack, signed_token(stack, installation, NIA)))
        stack.revoke_calendar("acc_sandbox_ada")
        # The next sweep meets the broken calendar with Nia's new task.
        stack.create_task(NIA, "2030-03-01T17:00:00Z", "Meets the broken calendar")
        stack.advance_zendesk(61)
        with app_api(stack, token) as api:
            assert eventually(lambda: api.get("/tickets/1").json()["connect"], timeout=30)
            link = api.post("/handoff", json={"backend": "cronofy"}).json()["url"]
        with httpx.Client(base_url=stack.url, timeout=30) as window:
            consent = window.get(link).headers["location"]
            assert consent.startswith(stack.sandbox.cronofy.base_url)
            back = window.get(cronofy_consent(stack, consent, "acc_sandbox_ada"))
            assert back.headers["location"] == "/zendesk-app/connected"
            # The calendar she chose before takes her events again: nothing to choose.
            assert "You can close this window" in window.get(back.headers["location"]).text
        with app_api(stack, token) as api:
            assert eventually(lambda: api.get("/tickets/1").json()["ready"])


def test_a_connect_link_expires_after_a_minute(stack: Stack, clock: SystemClock) -> None:
    installation = install_app(stack)
    token = app_token(open_view(stack, signed_token(stack, installation, NIA)))
    with app_api(stack, token) as api:
        link = api.post("/handoff", json={"backend": "cronofy"}).json()["url"]
    clock.offset_seconds = 61
    with httpx.Client(timeout=30) as late:
        expired = late.get(link)
        forged = late.get(link[:-4] + "AAAA")
    assert expired.status_code == 401
    assert "expired" in expired.text
    assert forged.status_code == 401
    assert "not valid" in forged.text


def test_resync_rereads_the_ticket_from_zendesk(stack: Stack) -> None:
    with connected_agent(stack, NIA, "ada"):
        installation = install_app(stack)
        token = app_token(open_view(stack, signed_token(stack, installation, NIA)))

        def starts() -> set[str]:
            return {e["start"] for e in stack.events(calendar("ada")).values()}

        assert eventually(lambda: "2030-05-01" in starts())
        # Zendesk changes the due date; no webhook comes (none was set up), and the
        # export withholds changes younger than a minute: only the resync brings it.
        moved = stack.zd.put("/api/v2/tickets/1",
                             json={"ticket": {"due_at": "2030-06-02T15:00:00Z"}})
        assert moved.status_code == 200, moved.text
        with app_api(stack, token) as api:
            answer = api.post("/tickets/1/resync")
            assert api.post("/tickets/abc/resync").status_code == 400
        assert answer.status_code == 200
        assert "reading this ticket again" in answer.json()["message"]
        assert eventually(lambda: "2030-06-02" in starts())


def test_the_settings_view_saves_a_style(stack: Stack) -> None:
    with connected_agent(stack, NIA, "ada"):
        installation = install_app(stack)
        page = open_view(stack, signed_token(stack, installation, NIA, "nav_bar"), "settings")
        assert page.status_code == 200
        assert 'id="style-form"' in page.text
        assert 'id="calendar-form"' in page.text
        with app_api(stack, app_token(page)) as api:
            saved = api.post("/style", json={"mode": "timed", "local_time": "09:30",
                                             "duration_minutes": "45", "reminders": "10"})
            bad = api.post("/style", json={"mode": "timed", "local_time": "25:00"})
            two_way = api.post("/two-way", json={"two_way": "on"})
            not_json = api.post("/style", content=b"{", headers={"Content-Type": "text/plain"})
            too_big = api.post("/style", content=b"[" * 20_000)
            not_object = api.post("/two-way", json=["on"])
        again = open_view(stack, signed_token(stack, installation, NIA, "nav_bar"), "settings")
    assert re.search(r'id="mode-timed"\s+checked', again.text)  # stored, as on the agent page
    assert 'value="09:30"' in again.text
    assert saved.status_code == 200, saved.text
    assert saved.json()["error"] is False
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("Not saved:")
    assert "changes its due date in Zendesk" in two_way.json()["message"]
    assert (not_json.status_code, too_big.status_code, not_object.status_code) == (400, 413, 400)
