"""The calendar subscription (ICS feed) over real HTTP: made on the agent's page, parsed
with ``icalendar``, conditional GETs, private mode, rotation and revocation, unknown
tokens, and the token never in a log line."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing

import httpx
import icalendar
import pytest
from web_stack import (
    KENJI,
    NIA,
    Stack,
    connected_agent,
    csrf_of,
    eventually,
    open_stack,
    signed_in_client,
)

from zdcal.live.logs import redact

TASKS = [(NIA, "2030-05-01T15:00:00Z", "Renew Acme's contract"),
         (NIA, "2030-05-03T15:00:00Z", "Call Globex back")]
LINK = re.compile(r'id="ics-link" class="copy-source" value="([^"]+)"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("ics"), tasks=TASKS) as running:
        yield running


@pytest.fixture
def nia(stack: Stack) -> Iterator[httpx.Client]:
    with closing(signed_in_client(stack, NIA)) as client:
        yield client


def post(client: httpx.Client, path: str, **form: str) -> None:
    page = client.get("/agent")
    answer = client.post(path, data={"csrf_token": csrf_of(page.text), **form})
    assert answer.status_code == 303, answer.text


def make_link(client: httpx.Client) -> str:
    post(client, "/agent/ics")
    page = client.get("/agent").text
    match = LINK.search(page)
    assert match, "the new link is not on the page"
    assert LINK.search(client.get("/agent").text) is None, "the link is shown only once"
    return match.group(1)


def feed(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers=headers, timeout=30)


def vevents(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar.name == "VCALENDAR"
    assert calendar["VERSION"] == "2.0"
    return list(calendar.walk("VEVENT"))


def nia_ticket_ids(stack: Stack) -> set[int]:
    with sqlite3.connect(stack.database_file) as db:
        rows = db.execute("SELECT ticket_id FROM tickets WHERE assignee_id = ? AND type = 'task'"
                          " AND status IN ('new', 'open', 'pending', 'hold')", (NIA,))
        return {row[0] for row in rows}


def test_the_feed_holds_one_event_per_open_task_with_stable_uids_and_no_content_when_private(
    stack: Stack, nia: httpx.Client
) -> None:
    url = make_link(nia)
    assert re.fullmatch(r".*/ics/[A-Za-z0-9_-]{43}\.ics", url)  # 32 random bytes
    first = feed(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"] == "private, no-cache"
    assert "set-cookie" not in first.headers  # outside the pages and their sessions
    events = vevents(first.content)
    ids = nia_ticket_ids(stack)
    assert len(events) == len(ids) >= len(TASKS)
    assert {str(e["URL"]).rpartition("/")[2] for e in events} == {str(t) for t in ids}
    # Private by default: no subject, no description text, CLASS:PRIVATE.
    for event in events:
        assert event["CLASS"] == "PRIVATE"
        assert str(event["SUMMARY"]).startswith("Zendesk task #")
    for _, _, subject in TASKS:
        assert subject.encode() not in first.content
    assert b"Details of" not in first.content
    # The same version renders to the same bytes, with the same UIDs.
    again = feed(url)
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert {str(e["UID"]) for e in vevents(again.content)} == {str(e["UID"]) for e in events}


def test_timed_style_has_a_vtimezone_per_tzid_and_reminders(
    stack: Stack, nia: httpx.Client
) -> None:
    url = make_link(nia)
    before = {str(e["UID"]) for e in vevents(feed(url).content)}
    post(nia, "/agent/style", mode="timed", local_time="09:30", duration_minutes="45",
         reminders="15, 60")
    body = feed(url).content
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert {str(e["UID"]) for e in events} == before  # a new style, the same events
    zones = {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")}
    used = {e["DTSTART"].params["TZID"] for e in events}
    assert used == {"America/New_York"}  # Nia's zone in the simulator's seed
    assert used <= zones
    for event in events:
        assert event.decoded("DTSTART").strftime("%H:%M") == "09:30"
        triggers = sorted(-a.decoded("TRIGGER").total_seconds() / 60
                          for a in event.walk("VALARM"))
        assert triggers == [15, 60]
    post(nia, "/agent/style", mode="all_day", reminders="")


def test_conditional_gets_answer_304_until_a_task_changes(
    stack: Stack, nia: httpx.Client
) -> None:
    url = make_link(nia)
    first = feed(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"')  # strong: no W/ prefix
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified},
                    {"If-None-Match": f'"other", {etag}'}):
        answer = feed(url, **headers)
        assert answer.status_code == 304, headers
        assert answer.content == b""
        assert answer.headers["etag"] == etag
    # If-None-Match wins over If-Modified-Since (RFC 9110): a stale tag gets the feed.
    assert feed(url, **{"If-None-Match": '"stale"', "If-Modified-Since": modified}
                ).status_code == 200

    ticket_id = min(nia_ticket_ids(stack))
    changed = stack.zd.put(f"/api/v2/tickets/{ticket_id}",
                           json={"ticket": {"due_at": "2030-07-01T15:00:00Z"}})
    assert changed.status_code == 200, changed.text
    stack.advance_zendesk(61)
    fresh = eventually(lambda: (r := feed(url, **{"If-None-Match": etag})).status_code == 200
                       and r, 30)
    assert fresh, "the change never reached the feed"
    assert fresh.headers["etag"] != etag
    assert fresh.headers["last-modified"] != modified
    assert feed(url, **{"If-Modified-Since": modified}).status_code == 200
    assert feed(url, **{"If-None-Match": fresh.headers["etag"]}).status_code == 304
    moved = [e for e in vevents(fresh.content) if str(e["URL"]).endswith(f"/{ticket_id}")]
    assert str(moved[0].decoded("DTSTART")) == "2030-07-01"


def test_private_mode_can_be_turned_off(stack: Stack, nia: httpx.Client) -> None:
    url = make_link(nia)
    post(nia, "/agent/ics/private")  # the box unchecked
    body = feed(url).content
    assert TASKS[0][2].encode() in body
    assert all(e["CLASS"] == "PUBLIC" for e in vevents(body))
    post(nia, "/agent/ics/private", private="on")
    assert TASKS[0][2].encode() not in feed(url).content


def test_rotated_revoked_and_unknown_links_answer_the_same_404(
    stack: Stack, nia: httpx.Client
) -> None:
    old = make_link(nia)
    assert feed(old).status_code == 200
    new = make_link(nia)
    assert new != old
    assert feed(new).status_code == 200
    replaced = feed(old)
    post(nia, "/agent/ics/revoke")
    revoked = feed(new)
    unknown = feed(stack.url + "/ics/" + "A" * 43 + ".ics")
    short = feed(stack.url + "/ics/x.ics")
    for answer in (replaced, revoked, unknown, short):
        assert answer.status_code == 404
        assert answer.content == unknown.content
        assert "etag" not in answer.headers
        assert answer.headers["content-type"] == unknown.headers["content-type"]
    assert 'id="ics-create"' in nia.get("/agent").text


def test_no_log_line_holds_a_feed_token(stack: Stack, nia: httpx.Client) -> None:
    url = make_link(nia)
    token = url.rpartition("/")[2].removesuffix(".ics")
    feed(url)
    feed(url.replace(token, token[::-1]))
    post(nia, "/agent/ics/revoke")
    feed(url)
    lines = list(stack.logs.lines)
    assert lines, "the server logged nothing at DEBUG: the capture is not working"
    assert not [line for line in lines if token in line]
    # The last line of defence, should a library print a feed URL anyway.
    assert token not in redact(f"GET {url} 200")


SERVED_BY = re.compile(r'id="served-by">.*?<strong>([^<]+)</strong>', re.S)


def test_a_connected_agent_with_a_subscription_is_served_by_both(stack: Stack) -> None:
    with connected_agent(stack, KENJI, "bob") as kenji:
        assert SERVED_BY.findall(kenji.get("/agent").text) == ["Cronofy"]
        url = make_link(kenji)
        assert SERVED_BY.findall(kenji.get("/agent").text) == [
            "Cronofy and a calendar subscription (ICS)"]
        assert feed(url).status_code == 200
        post(kenji, "/agent/ics/revoke")
        assert SERVED_BY.findall(kenji.get("/agent").text) == ["Cronofy"]
