"""CalDAV as a calendar backend (the contract of zdcal.calendars.base) against real
servers: linking with a password, conditional writes and what a 412 leads to, polling,
and every failure in neutral terms."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from caldav_backend.caldav_servers import CalDAVServer, make_calendar
from caldav_backend.test_caldav_client import task
from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarRejected,
    Connection,
    EventObject,
    FailureKind,
    ManagedEvent,
    WriteStatus,
    credentials_linking,
    oauth_linking,
    push_channels,
)
from zdcal.calendars.caldav.backend import CalDAVAgentCalendar, event_id_of
from zdcal.calendars.caldav.connector import CalDAVBackend, server_url
from zdcal.calendars.caldav.ical import task_ics
from zdcal.clock import SystemClock
from zdcal.domain import Delete, DesiredEntry, RecordedEntry, Upsert
from zdcal.domain.entries import content_hash
from zdcal.store import CalDAVAccount

pytestmark = pytest.mark.anyio

KEY = "k7q2mx4pn5r3ws6t"
AGENT = 1002


def body(ticket_id: int, start: str = "2026-03-08", end: str = "2026-03-09") -> dict[str, Any]:
    return {**task(ticket_id, start, end), "event_id": f"zdcal-{KEY}-{ticket_id}"}


def upsert(calendar_url: str, ticket_id: int, start: str = "2026-03-08",
           end: str = "2026-03-09") -> Upsert:
    event = body(ticket_id, start, end)
    return Upsert(DesiredEntry(ticket_id, AGENT, calendar_url, event["event_id"], event,
                               content_hash(calendar_url, event)))


def delete(calendar_url: str, ticket_id: int) -> Delete:
    return Delete(RecordedEntry(ticket_id, AGENT, calendar_url, f"zdcal-{KEY}-{ticket_id}", ""))


@pytest.fixture
async def backend(server: CalDAVServer) -> AsyncIterator[CalDAVBackend]:
    async with httpx.AsyncClient(verify=server.verify, timeout=10) as http:
        yield CalDAVBackend(http=http, limiter=None, clock=SystemClock())


def agent_calendar(
    backend: CalDAVBackend, server: CalDAVServer, read_state: str | None = None
) -> CalDAVAgentCalendar:
    account = CalDAVAccount(server.calendar_home_url, server.username, server.password)
    return CalDAVAgentCalendar(
        backend.client(account), account.url, clock=SystemClock(), time_zone="Europe/Berlin",
        read_state=read_state,
    )


async def read(calendar: CalDAVAgentCalendar, urls: list[str], *,
               since: datetime | None = None) -> list[ManagedEvent]:
    return [e async for e in calendar.managed_events(urls, last_modified=since)]


SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # "read changes", not "read everything"


def test_caldav_declares_a_password_form_and_polling() -> None:
    from zdcal.calendars.registry import kind, names

    assert "caldav" in names()
    assert kind("caldav").name == "caldav"
    assert CalDAVBackend.capabilities.connection is Connection.CREDENTIALS
    assert not CalDAVBackend.capabilities.push
    assert not CalDAVBackend.capabilities.batch_writes


async def test_the_backend_links_with_credentials_only(backend: CalDAVBackend) -> None:
    assert credentials_linking(backend) is backend
    assert push_channels(backend) is None
    with pytest.raises(Exception, match="not connected by OAuth"):
        oauth_linking(backend)


def test_provider_presets_name_their_servers() -> None:
    assert server_url("icloud", None) == "https://caldav.icloud.com/"
    assert server_url("fastmail", "") == "https://caldav.fastmail.com/"
    assert server_url("nextcloud", "https://cloud.acme.example") == (
        "https://cloud.acme.example/remote.php/dav/"
    )
    assert server_url("generic", "https://dav.acme.example/dav/") == (
        "https://dav.acme.example/dav/"
    )
    for provider, url in (("generic", None), ("generic", "ftp://x.example/"), ("gmail", "")):
        with pytest.raises(ValueError, match=r"URL|provider"):
            server_url(provider, url)


async def test_linking_finds_the_home_and_offers_only_event_calendars(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    todo_url = calendar_url.rstrip("/") + "-todo/"
    with server.http() as http:
        make_calendar(http, todo_url, "Todo list", components=("VTODO",))
    linked, calendars = await backend.link_credentials(
        server.url, server.username, server.password
    )
    assert linked.calendar_account_id == server.calendar_home_url
    assert linked.tokens == CalDAVAccount(
        server.calendar_home_url, server.username, server.password
    )
    by_url = {c.calendar_id: c for c in calendars}
    assert by_url[calendar_url].writable
    assert by_url[calendar_url].name == "Test tasks"
    assert not by_url[todo_url].writable


async def test_wrong_credentials_and_no_caldav_server_are_told_apart(
    backend: CalDAVBackend, server: CalDAVServer
) -> None:
    with pytest.raises(CalendarAuthorizationLost):
        await backend.link_credentials(server.url, server.username, "wrong password")


async def test_writes_are_conditional_and_report_where_the_event_is(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    calendar = agent_calendar(backend, server)
    (created,) = await calendar.apply([upsert(calendar_url, 1)])
    assert created.status is WriteStatus.DONE
    assert created.stored_as is not None
    assert created.stored_as.href == f"{calendar_url}zdcal-{KEY}-1.ics"
    assert created.stored_as.etag
    stored = {(calendar_url, f"zdcal-{KEY}-1"): EventObject(
        created.stored_as.href, created.stored_as.etag, "2026-03-08", "2026-03-09")}
    (updated,) = await calendar.apply([upsert(calendar_url, 1, "2026-03-10", "2026-03-11")],
                                      stored)
    assert updated.status is WriteStatus.DONE
    assert updated.stored_as is not None
    assert updated.stored_as.etag not in (None, created.stored_as.etag)
    (event,) = await read(calendar, [calendar_url])
    assert (event.event_id, event.start, event.end) == (f"zdcal-{KEY}-1", "2026-03-10",
                                                        "2026-03-11")
    deleted, absent = await calendar.apply([delete(calendar_url, 1), delete(calendar_url, 2)])
    assert (deleted.status, absent.status) == (WriteStatus.DONE, WriteStatus.DONE)
    assert await read(calendar, [calendar_url]) == []


async def _write(calendar: CalDAVAgentCalendar, calendar_url: str, ticket_id: int,
                 start: str, end: str) -> EventObject:
    (outcome,) = await calendar.apply([upsert(calendar_url, ticket_id, start, end)])
    assert outcome.stored_as is not None
    return EventObject(outcome.stored_as.href, outcome.stored_as.etag, start, end)


def _agent_edits(server: CalDAVServer, href: str, start: str, end: str,
                 summary: str | None = None) -> None:
    """The agent's calendar app rewrites the object (new ETag)."""
    event = body(int(href.rsplit("-", 1)[1].removesuffix(".ics")), start, end)
    if summary:
        event["summary"] = summary
    with server.http() as http:
        response = http.put(href, content=task_ics(event, stamp=datetime.now(UTC)),
                            headers={"Content-Type": "text/calendar"})
        assert response.status_code in (201, 204), response.text


async def test_a_412_is_decided_by_the_two_way_rules(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    calendar = agent_calendar(backend, server)
    day, next_day, later = ("2026-03-08", "2026-03-09"), ("2026-03-09", "2026-03-10"), (
        "2026-03-12", "2026-03-13")
    written = {n: await _write(calendar, calendar_url, n, *day) for n in range(1, 6)}
    _agent_edits(server, written[1].href, *day, summary="renamed by the agent")
    for n in (2, 4):
        _agent_edits(server, written[n].href, *later)  # moved
    with server.http() as http:
        for n in (3, 5):
            assert http.delete(written[n].href).status_code in (200, 204)
    stored: Mapping[tuple[str, str], EventObject] = {
        (calendar_url, f"zdcal-{KEY}-{n}"): obj for n, obj in written.items()
    }
    same_times = [upsert(calendar_url, n, *day) for n in (1, 2, 3)]  # e.g. a new subject
    redated = [upsert(calendar_url, n, *next_day) for n in (4, 5)]  # Zendesk's new date
    outcomes = await calendar.apply(same_times + redated, stored)
    statuses = [o.status for o in outcomes]
    # 1: only the title changed: ours to write. 2, 3: the agent's move and delete wait
    # for the planner. 4, 5: Zendesk changed the date: Zendesk wins, the event comes back.
    assert statuses == [WriteStatus.DONE, WriteStatus.RETRY, WriteStatus.RETRY,
                        WriteStatus.DONE, WriteStatus.DONE]
    assert "moved in the calendar" in (outcomes[1].reason or "")
    assert "deleted in the calendar" in (outcomes[2].reason or "")
    held = {e.event_id: (e.start, e.end) for e in await read(calendar, [calendar_url])}
    assert held == {
        f"zdcal-{KEY}-1": day,
        f"zdcal-{KEY}-2": later,  # the agent's move stands until the planner decides
        f"zdcal-{KEY}-4": next_day,
        f"zdcal-{KEY}-5": next_day,
    }


async def test_a_create_over_an_existing_object_takes_it_over(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    """A write whose answer was lost, then retried without its ETag: zdcal's object."""
    calendar = agent_calendar(backend, server)
    await _write(calendar, calendar_url, 1, "2026-03-08", "2026-03-09")
    (again,) = await calendar.apply([upsert(calendar_url, 1, "2026-03-10", "2026-03-11")])
    assert again.status is WriteStatus.DONE
    (event,) = await read(calendar, [calendar_url])
    assert event.start == "2026-03-10"


async def test_polling_reads_changes_once_and_an_idle_poll_is_one_request(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    writer = agent_calendar(backend, server)
    first = await _write(writer, calendar_url, 1, "2026-03-08", "2026-03-09")
    second = await _write(writer, calendar_url, 2, "2026-03-08", "2026-03-09")
    with server.http() as http:  # someone else's event: not ours, never read
        http.put(f"{calendar_url}lunch.ics", headers={"Content-Type": "text/calendar"},
                 content=task_ics({**body(9), "event_id": "lunch"}, stamp=datetime.now(UTC)))
    poller = agent_calendar(backend, server)
    assert poller.read_state() is None
    assert {e.event_id for e in await read(poller, [calendar_url], since=SINCE)} == {
        f"zdcal-{KEY}-1", f"zdcal-{KEY}-2"
    }
    state = poller.read_state()
    assert state is not None
    idle = agent_calendar(backend, server, state)
    sent = idle._client.requests_sent
    assert await read(idle, [calendar_url], since=SINCE) == []
    assert idle._client.requests_sent - sent == 1
    _agent_edits(server, first.href, "2026-03-12", "2026-03-13")
    with server.http() as http:
        assert http.delete(second.href).status_code in (200, 204)
    changed = agent_calendar(backend, server, idle.read_state())
    events = {e.event_id: e for e in await read(changed, [calendar_url], since=SINCE)}
    moved, gone = events[f"zdcal-{KEY}-1"], events[f"zdcal-{KEY}-2"]
    assert (moved.start, moved.end, moved.deleted) == ("2026-03-12", "2026-03-13", False)
    assert moved.stored_as is not None
    assert moved.stored_as.etag not in (None, first.etag)
    assert gone.deleted


async def test_a_stored_ctag_state_polls_by_ctag(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    writer = agent_calendar(backend, server)
    await _write(writer, calendar_url, 1, "2026-03-08", "2026-03-09")
    ctag_state = json.dumps({calendar_url: {"method": "ctag", "token": None, "etags": {}}})
    poller = agent_calendar(backend, server, ctag_state)
    (event,) = await read(poller, [calendar_url], since=SINCE)
    assert event.event_id == f"zdcal-{KEY}-1"
    idle = agent_calendar(backend, server, poller.read_state())
    sent = idle._client.requests_sent
    assert await read(idle, [calendar_url], since=SINCE) == []
    assert idle._client.requests_sent - sent == 1


async def test_a_calendar_that_is_gone_fails_its_writes_for_good(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    calendar = agent_calendar(backend, server)
    with server.http() as http:
        assert http.delete(calendar_url).status_code in (200, 204)
    written, removed = await calendar.apply([upsert(calendar_url, 1), delete(calendar_url, 2)])
    assert (written.status, written.kind) == (WriteStatus.REJECTED, FailureKind.CALENDAR_GONE)
    assert removed.status is WriteStatus.DONE


async def test_a_wrong_password_on_a_write_means_reconnect(
    backend: CalDAVBackend, server: CalDAVServer, calendar_url: str
) -> None:
    account = CalDAVAccount(server.calendar_home_url, server.username, "revoked")
    calendar = CalDAVAgentCalendar(
        backend.client(account), account.url, clock=SystemClock(), time_zone="UTC",
        read_state=None,
    )
    with pytest.raises(CalendarAuthorizationLost):
        await calendar.apply([upsert(calendar_url, 1)])


async def test_a_server_that_is_not_caldav_is_refused(
    backend: CalDAVBackend, plain_web_server: str
) -> None:
    with pytest.raises(CalendarRejected, match="not CalDAV"):
        await backend.link_credentials(plain_web_server, "alice", "secret")


def test_only_zdcal_objects_are_read_back() -> None:
    assert event_id_of(f"https://h/cal/zdcal-{KEY}-7.ics") == f"zdcal-{KEY}-7"
    assert event_id_of("https://h/cal/lunch.ics") is None
    assert event_id_of(f"https://h/cal/zdcal-{KEY}-7.txt") is None
