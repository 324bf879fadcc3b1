"""The CalDAV client against real servers (Radicale and Xandikos, each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caldav_backend.caldav_servers import CalDAVServer, make_calendar
from caldav_backend.conftest import client_for
from zdcal.calendars.caldav.client import CalDAVClient, CollectionState, SyncMethod
from zdcal.calendars.caldav.errors import (
    AuthenticationFailed,
    CalendarGone,
    NotCalDAV,
    ObjectChanged,
    Rejected,
    TLSFailure,
    Unreachable,
)
from zdcal.calendars.caldav.ical import read_task_times, task_ics
from zdcal.http.retry import NO_RETRY
from zdcal_testing import free_port

STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def task(ticket_id: int, start: str = "2026-03-08", end: str = "2026-03-09") -> dict[str, object]:
    return {
        "event_id": f"zdcal-k7q2mx4pn5r3ws6t-{ticket_id}",
        "summary": f"#{ticket_id} Call back",
        "description": f"https://acme.zendesk.com/agent/tickets/{ticket_id}",
        "url": f"https://acme.zendesk.com/agent/tickets/{ticket_id}",
        "start": start,
        "end": end,
        "tzid": "Europe/Berlin",
        "transparency": "transparent",
        "event_private": False,
        "reminders": [{"minutes": 15}],
    }


def ics(ticket_id: int, start: str = "2026-03-08", end: str = "2026-03-09") -> bytes:
    return task_ics(task(ticket_id, start, end), stamp=STAMP)


@pytest.mark.anyio
async def test_discovery_finds_principal_and_calendar_home(server: CalDAVServer) -> None:
    async with client_for(server) as client:
        found = await client.discover()
    assert found.principal_url == server.principal_url
    assert found.calendar_home_url == server.calendar_home_url


@pytest.mark.anyio
async def test_discovery_also_starts_from_a_url_with_a_path(server: CalDAVServer) -> None:
    async with CalDAVClient(
        server.principal_url, server.username, server.password, verify=server.verify
    ) as client:
        found = await client.discover()
    assert found.calendar_home_url == server.calendar_home_url


@pytest.mark.anyio
async def test_calendars_are_listed_with_writability_and_events(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        calendars = await client.calendars(server.calendar_home_url)
    by_url = {c.url: c for c in calendars}
    mine = by_url[calendar_url]
    assert mine.name == "Test tasks"
    assert mine.writable
    assert mine.accepts_events
    assert mine.usable
    assert mine.supports_sync_collection
    assert CollectionState.first_for(mine) == CollectionState(SyncMethod.SYNC_COLLECTION)
    assert mine.ctag is not None
    # Only calendar collections are listed (Xandikos also has an address book elsewhere).
    assert all(url.startswith(server.calendar_home_url) for url in by_url)


@pytest.mark.anyio
async def test_a_calendar_for_tasks_only_is_not_offered_for_events(server: CalDAVServer) -> None:
    url = f"{server.calendar_home_url}todo-{server.name}/"
    with server.http() as http:
        make_calendar(http, url, "To-dos", components=("VTODO",))
    async with client_for(server) as client:
        [todos] = [c for c in await client.calendars(server.calendar_home_url) if c.url == url]
    assert todos.writable
    assert not todos.accepts_events
    assert not todos.usable


@pytest.mark.anyio
async def test_create_read_update_delete_with_conditions(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        url = client.object_url(calendar_url, "zdcal-k7q2mx4pn5r3ws6t-1")
        assert url == f"{calendar_url}zdcal-k7q2mx4pn5r3ws6t-1.ics"

        first = await client.create(url, ics(1))
        stored = await client.get(url)
        assert stored is not None
        assert first is None or stored.etag == first
        assert read_task_times(stored.data).as_text() == ("2026-03-08", "2026-03-09")

        with pytest.raises(ObjectChanged):  # If-None-Match: * on an existing object
            await client.create(url, ics(1))

        assert stored.etag is not None
        second = await client.update(url, ics(1, "2026-03-10", "2026-03-11"), stored.etag)
        again = await client.get(url)
        assert again is not None
        assert again.etag != stored.etag
        assert second is None or second == again.etag
        assert read_task_times(again.data).start.isoformat() == "2026-03-10"

        with pytest.raises(ObjectChanged):  # the stale etag
            await client.update(url, ics(1), stored.etag)
        with pytest.raises(ObjectChanged):
            await client.delete(url, stored.etag)
        assert again.etag is not None
        await client.delete(url, again.etag)
        assert await client.get(url) is None
        await client.delete(url)  # already gone: fine
        with pytest.raises(ObjectChanged):  # updating what someone deleted
            await client.update(url, ics(1), again.etag)


@pytest.mark.anyio
async def test_timed_event_with_its_vtimezone_is_stored_and_reads_back(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        url = client.object_url(calendar_url, "zdcal-k7q2mx4pn5r3ws6t-2")
        await client.create(url, ics(2, "2026-03-29T07:30:00Z", "2026-03-29T08:00:00Z"))
        stored = await client.get(url)
    assert stored is not None
    assert b"TZID=Europe/Berlin" in stored.data
    times = read_task_times(stored.data)
    assert times.as_text() == ("2026-03-29T07:30:00Z", "2026-03-29T08:00:00Z")


@pytest.mark.anyio
@pytest.mark.parametrize("method", list(SyncMethod), ids=lambda m: m.value)
async def test_polling_reports_changes_and_costs_one_request_when_idle(
    server: CalDAVServer, calendar_url: str, method: SyncMethod
) -> None:
    # SyncMethod.CTAG forces the fallback both servers could avoid (they have RFC 6578).
    async with client_for(server) as client:
        first = await client.poll(calendar_url, CollectionState(method))
        assert (first.changed, first.deleted, first.complete) == ({}, frozenset(), True)
        assert first.state.method is method

        kept = client.object_url(calendar_url, "zdcal-k7q2mx4pn5r3ws6t-3")
        gone = client.object_url(calendar_url, "zdcal-k7q2mx4pn5r3ws6t-4")
        await client.create(kept, ics(3))
        await client.create(gone, ics(4))
        created = await client.poll(calendar_url, first.state)
        assert set(created.changed) == {kept, gone}
        assert not created.complete

        before = client.requests_sent
        idle = await client.poll(calendar_url, created.state)
        assert client.requests_sent - before == 1
        assert (idle.changed, idle.deleted, idle.complete) == ({}, frozenset(), False)

        stored = await client.get(kept)
        assert stored is not None
        assert stored.etag is not None
        await client.update(kept, ics(3, "2026-03-12", "2026-03-13"), stored.etag)
        await client.delete(gone)
        moved = await client.poll(calendar_url, idle.state)
        assert set(moved.changed) == {kept}
        assert moved.deleted == {gone}
        assert moved.state.token != idle.state.token

        [changed] = await client.multiget(calendar_url, list(moved.changed))
        assert changed.url == kept
        assert read_task_times(changed.data).start.isoformat() == "2026-03-12"


@pytest.mark.anyio
async def test_a_token_the_server_refuses_resets_to_a_full_listing(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        url = client.object_url(calendar_url, "zdcal-k7q2mx4pn5r3ws6t-5")
        await client.create(url, ics(5))
        stale = CollectionState(SyncMethod.SYNC_COLLECTION, "http://example.invalid/sync/0")
        reset = await client.poll(calendar_url, stale)
    assert reset.complete
    assert set(reset.changed) == {url}
    assert reset.state.token not in (None, stale.token)


@pytest.mark.anyio
async def test_a_deleted_calendar_is_reported_gone(server: CalDAVServer, calendar_url: str) -> None:
    with server.http() as http:
        assert http.delete(calendar_url).is_success
    async with client_for(server) as client:
        with pytest.raises(CalendarGone):
            await client.poll(calendar_url, CollectionState(SyncMethod.SYNC_COLLECTION))
        with pytest.raises(CalendarGone):
            await client.poll(calendar_url, CollectionState(SyncMethod.CTAG))
        with pytest.raises(CalendarGone):
            await client.create(client.object_url(calendar_url, "x"), ics(8))


@pytest.mark.anyio
async def test_wrong_password_is_a_clear_error(server: CalDAVServer) -> None:
    async with client_for(server, password="wrong") as client:
        with pytest.raises(AuthenticationFailed, match="refused the username or password"):
            await client.discover()
        with pytest.raises(AuthenticationFailed):
            await client.calendars(server.calendar_home_url)


@pytest.mark.anyio
async def test_an_untrusted_certificate_is_a_tls_error(server: CalDAVServer) -> None:
    if server.verify is True:
        pytest.skip(f"{server.name} serves plain HTTP here")
    # The system's trust store does not know the server's self-signed certificate.
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with CalDAVClient(server.url, server.username, server.password, sleep=sleep) as client:
        with pytest.raises(TLSFailure, match="certificate"):
            await client.discover()
    assert waits == []  # the one retry policy does not retry a failed TLS handshake


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["", "/index.html"])
async def test_a_web_server_that_is_not_caldav_is_a_clear_error(
    plain_web_server: str, path: str
) -> None:
    async with CalDAVClient(plain_web_server + path, "alice", "secret") as client:
        with pytest.raises(NotCalDAV, match="not CalDAV"):
            await client.discover()


@pytest.mark.anyio
async def test_nothing_listening_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with CalDAVClient(url, "alice", "secret", policy=NO_RETRY) as client:
        with pytest.raises(Unreachable, match="unreachable"):
            await client.discover()


@pytest.mark.anyio
async def test_data_that_is_not_an_event_is_rejected(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        with pytest.raises(Rejected) as refused:
            await client.create(client.object_url(calendar_url, "bad"), b"not a calendar\r\n")
    # Radicale: 400 with no body; Xandikos: 412 naming valid-calendar-data.
    assert refused.value.status in (400, 412)
    assert refused.value.reason in (None, "valid-calendar-data")


@pytest.mark.anyio
async def test_the_same_uid_under_another_name_is_rejected(
    server: CalDAVServer, calendar_url: str
) -> None:
    async with client_for(server) as client:
        await client.create(client.object_url(calendar_url, "first"), ics(9))
        with pytest.raises(Rejected) as refused:
            await client.create(client.object_url(calendar_url, "second"), ics(9))
    # Radicale: 409, Xandikos: 412; both name the precondition.
    assert refused.value.status in (409, 412)
    assert refused.value.reason == "no-uid-conflict"
