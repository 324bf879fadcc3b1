"""The Google simulator driven by google-api-python-client over real HTTP; every response body
is checked against Calendar v3's discovery schemas by the ``recorder`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from google_sim_support import AGENT, Tokens, reason_of
from googleapiclient.errors import HttpError

TASK_ID = "d0ca10123456789abcdef"


def task_event(**overrides: Any) -> dict[str, Any]:
    return {
        "id": TASK_ID,
        "summary": "Call back ACME (#123)",
        "description": "Ticket <a href='https://acme.zendesk.com/agent/tickets/123'>#123</a>",
        "start": {"dateTime": "2030-05-01T09:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-05-01T09:30:00", "timeZone": "Europe/Berlin"},
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
        "visibility": "private",
        "transparency": "transparent",
        "extendedProperties": {"private": {"zdcal_account": "acme", "zdcal_ticket": "123"}},
        "source": {"title": "Ticket #123", "url": "https://acme.zendesk.com/agent/tickets/123"},
        **overrides,
    }


@pytest.fixture
def service(calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens) -> Any:
    return calendar_client(agent_tokens)


def test_insert_get_patch_update_delete_round_trip(service: Any) -> None:
    events = service.events()
    created = events.insert(calendarId="primary", body=task_event()).execute()
    assert created["id"] == TASK_ID
    assert created["status"] == "confirmed"
    assert created["iCalUID"] == TASK_ID + "@google.com"
    assert created["extendedProperties"]["private"]["zdcal_ticket"] == "123"
    assert created["reminders"]["overrides"] == [{"method": "popup", "minutes": 15}]
    assert created["sequence"] == 0
    assert created["start"] == {
        "dateTime": "2030-05-01T09:00:00+02:00", "timeZone": "Europe/Berlin"
    }

    fetched = events.get(calendarId=AGENT, eventId=TASK_ID).execute()
    assert fetched == created

    patched = events.patch(
        calendarId="primary", eventId=TASK_ID,
        body={"start": {"date": "2030-05-02", "dateTime": None, "timeZone": None},
              "end": {"date": "2030-05-03", "dateTime": None, "timeZone": None},
              "extendedProperties": {"private": {"zdcal_due": "2030-05-02"}}},
    ).execute()
    assert patched["start"] == {"date": "2030-05-02"}
    assert patched["summary"] == created["summary"]  # patch keeps what it does not name
    assert patched["extendedProperties"]["private"] == {
        "zdcal_account": "acme", "zdcal_ticket": "123", "zdcal_due": "2030-05-02"
    }
    assert patched["sequence"] == 1
    assert patched["etag"] != created["etag"]

    replaced = events.update(
        calendarId="primary", eventId=TASK_ID,
        body={"summary": "Only this", "start": {"date": "2030-05-02"},
              "end": {"date": "2030-05-03"}},
    ).execute()
    assert replaced["summary"] == "Only this"
    assert "extendedProperties" not in replaced  # update clears what it omits
    assert "description" not in replaced

    assert events.delete(calendarId="primary", eventId=TASK_ID).execute() == ""
    gone = events.get(calendarId="primary", eventId=TASK_ID).execute()
    assert gone["status"] == "cancelled"

    with pytest.raises(HttpError) as again:
        events.delete(calendarId="primary", eventId=TASK_ID).execute()
    assert again.value.status_code == 410
    assert reason_of(again.value.content) == "deleted"

    with pytest.raises(HttpError) as duplicate:
        events.insert(calendarId="primary", body=task_event()).execute()
    assert duplicate.value.status_code == 409
    assert reason_of(duplicate.value.content) == "duplicate"

    revived = events.patch(
        calendarId="primary", eventId=TASK_ID, body={"status": "confirmed"}
    ).execute()
    assert revived["status"] == "confirmed"


def test_insert_refuses_bad_ids_and_bad_events(service: Any) -> None:
    events = service.events()
    for bad_id in ("abcd", "UPPER12345", "with-dash-1", "wxyz12345", "a" * 1025):
        with pytest.raises(HttpError) as refused:
            events.insert(calendarId="primary", body=task_event(id=bad_id)).execute()
        assert refused.value.status_code == 400, bad_id
        assert reason_of(refused.value.content) == "invalid"
    assert events.insert(calendarId="primary", body=task_event(id="v" * 1024)).execute()
    backwards = task_event(id="reversed1", end={"date": "2030-01-01"},
                           start={"date": "2030-01-02"})
    with pytest.raises(HttpError) as empty:
        events.insert(calendarId="primary", body=backwards).execute()
    assert reason_of(empty.value.content) == "timeRangeEmpty"
    no_end = task_event(id="noend1")
    del no_end["end"]
    with pytest.raises(HttpError) as missing:
        events.insert(calendarId="primary", body=no_end).execute()
    assert missing.value.status_code == 400
    many = [{"method": "popup", "minutes": m} for m in range(6)]
    with pytest.raises(HttpError) as too_many:
        events.insert(calendarId="primary", body=task_event(
            id="lots12", reminders={"useDefault": False, "overrides": many})).execute()
    assert too_many.value.status_code == 400
    with pytest.raises(HttpError) as unknown:
        events.get(calendarId="primary", eventId="never1234").execute()
    assert unknown.value.status_code == 404
    assert reason_of(unknown.value.content) == "notFound"
    generated = events.insert(calendarId="primary", body=task_event(id=None)).execute()
    assert len(generated["id"]) >= 5


def test_stale_etag_is_refused(service: Any) -> None:
    events = service.events()
    created = events.insert(calendarId="primary", body=task_event()).execute()
    events.patch(calendarId="primary", eventId=TASK_ID, body={"summary": "moved"}).execute()
    stale = events.patch(calendarId="primary", eventId=TASK_ID, body={"summary": "x"})
    stale.headers["If-Match"] = created["etag"]
    with pytest.raises(HttpError) as refused:
        stale.execute()
    assert refused.value.status_code == 412


def test_list_pages_then_sync_token_delta(service: Any, http: httpx.Client) -> None:
    events = service.events()
    ids = [f"task{n:05d}" for n in range(5)]
    for event_id in ids:
        events.insert(calendarId="primary", body=task_event(id=event_id)).execute()

    seen: list[str] = []
    request = events.list(calendarId="primary", maxResults=2)
    pages = 0
    while request is not None:
        page = request.execute()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        last = page
        request = events.list_next(request, page)
    assert pages == 3
    assert sorted(seen) == ids
    sync_token = last["nextSyncToken"]
    assert "nextPageToken" not in last

    quiet = events.list(calendarId="primary", syncToken=sync_token).execute()
    assert quiet["items"] == []

    events.patch(calendarId="primary", eventId=ids[1], body={"summary": "moved"}).execute()
    events.delete(calendarId="primary", eventId=ids[3]).execute()
    delta = events.list(calendarId="primary", syncToken=quiet["nextSyncToken"]).execute()
    by_id = {item["id"]: item for item in delta["items"]}
    assert set(by_id) == {ids[1], ids[3]}
    assert by_id[ids[1]]["summary"] == "moved"
    assert by_id[ids[3]]["status"] == "cancelled"

    listed = events.list(calendarId="primary").execute()
    assert ids[3] not in {item["id"] for item in listed["items"]}
    with_deleted = events.list(calendarId="primary", showDeleted=True).execute()
    assert ids[3] in {item["id"] for item in with_deleted["items"]}
    since = events.list(calendarId="primary", updatedMin=by_id[ids[1]]["updated"]).execute()
    assert {item["id"] for item in since["items"]} == {ids[1], ids[3]}

    with pytest.raises(HttpError) as forbidden:
        events.list(calendarId="primary", syncToken=delta["nextSyncToken"],
                    timeMin="2030-01-01T00:00:00Z").execute()
    assert forbidden.value.status_code == 400

    assert http.post("/_sandbox/sync-tokens/expire").status_code == 200
    with pytest.raises(HttpError) as expired:
        events.list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert expired.value.status_code == 410
    assert reason_of(expired.value.content) == "fullSyncRequired"
    with pytest.raises(HttpError) as garbage:
        events.list(calendarId="primary", syncToken="not-a-token").execute()
    assert garbage.value.status_code == 410


def test_change_while_paging_lands_in_the_next_delta(service: Any) -> None:
    events = service.events()
    ids = [f"page{n:05d}" for n in range(4)]
    for event_id in ids:
        events.insert(calendarId="primary", body=task_event(id=event_id)).execute()
    first = events.list(calendarId="primary", maxResults=2).execute()
    events.patch(calendarId="primary", eventId=ids[0], body={"summary": "during"}).execute()
    second = events.list(calendarId="primary", maxResults=2,
                         pageToken=first["nextPageToken"]).execute()
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    delta = events.list(calendarId="primary", syncToken=second["nextSyncToken"]).execute()
    assert [(i["id"], i["summary"]) for i in delta["items"]] == [(ids[0], "during")]


def test_calendar_list_and_access_roles(service: Any) -> None:
    listed = service.calendarList().list().execute()
    entries = {entry["id"]: entry for entry in listed["items"]}
    assert entries[AGENT]["primary"] is True
    assert entries[AGENT]["accessRole"] == "owner"
    holidays = next(e for e in listed["items"] if e["accessRole"] == "reader")
    assert "primary" not in holidays
    assert "nextSyncToken" in listed
    with pytest.raises(HttpError) as refused:
        service.events().insert(calendarId=holidays["id"], body=task_event()).execute()
    assert refused.value.status_code == 403
    with pytest.raises(HttpError) as foreign:
        service.events().list(calendarId="other@example.com").execute()
    assert foreign.value.status_code == 404


def test_list_filters_time_window_private_properties_and_start_order(service: Any) -> None:
    events = service.events()
    days = ["2030-03-03", "2030-03-01", "2030-03-04", "2030-03-02"]
    for n, day in enumerate(days):
        events.insert(calendarId="primary", body=task_event(
            id=f"date{n:05d}", start={"date": day}, end={"date": day[:-1] + str(int(day[-1]) + 1)},
            extendedProperties={"private": {"zdcal_ticket": str(n), "zdcal_account": "acme"}},
        )).execute()

    window = events.list(calendarId="primary", timeMin="2030-03-02T00:00:00+01:00",
                         timeMax="2030-03-04T00:00:00+01:00").execute()
    assert sorted(i["start"]["date"] for i in window["items"]) == ["2030-03-02", "2030-03-03"]

    one = events.list(calendarId="primary",
                      privateExtendedProperty=["zdcal_ticket=2", "zdcal_account=acme"]).execute()
    assert [i["id"] for i in one["items"]] == ["date00002"]

    ordered: list[str] = []
    request = events.list(calendarId="primary", orderBy="startTime", singleEvents=True,
                          maxResults=3)
    while request is not None:
        page = request.execute()
        ordered += [i["start"]["date"] for i in page["items"]]
        request = events.list_next(request, page)
    assert ordered == sorted(days)

    with pytest.raises(HttpError) as unordered:
        events.list(calendarId="primary", orderBy="startTime").execute()
    assert unordered.value.status_code == 400
    with pytest.raises(HttpError) as empty:
        events.list(calendarId="primary", timeMin="2030-03-02T00:00:00Z",
                    timeMax="2030-03-01T00:00:00Z").execute()
    assert reason_of(empty.value.content) == "timeRangeEmpty"


def test_calendar_list_sync_token(service: Any, http: httpx.Client) -> None:
    first = service.calendarList().list().execute()
    again = service.calendarList().list(syncToken=first["nextSyncToken"]).execute()
    assert again["items"] == []
    assert [e["etag"] for e in service.calendarList().list().execute()["items"]] == [
        e["etag"] for e in first["items"]
    ]
    assert http.post("/_sandbox/sync-tokens/expire").status_code == 200
    with pytest.raises(HttpError) as expired:
        service.calendarList().list(syncToken=first["nextSyncToken"]).execute()
    assert expired.value.status_code == 410


def test_user_moves_and_deletes_show_up_in_the_delta(service: Any, http: httpx.Client) -> None:
    events = service.events()
    for event_id in ("moved0001", "gone00001"):
        events.insert(calendarId="primary", body=task_event(id=event_id)).execute()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]

    move = {"start": {"dateTime": "2030-05-03T14:00:00+02:00"},
            "end": {"dateTime": "2030-05-03T14:30:00+02:00"}}
    moved = http.patch(f"/_sandbox/calendars/{AGENT}/events/moved0001", json=move)
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1
    assert http.delete(f"/_sandbox/calendars/{AGENT}/events/gone00001").status_code == 204
    assert http.delete(f"/_sandbox/calendars/{AGENT}/events/gone00001").status_code == 404
    bad = http.patch(f"/_sandbox/calendars/{AGENT}/events/moved0001",
                     json={"end": {"date": "2001-01-01"}})
    assert bad.status_code == 400

    delta = events.list(calendarId="primary", syncToken=token).execute()
    by_id = {item["id"]: item for item in delta["items"]}
    assert by_id["moved0001"]["start"]["dateTime"] == "2030-05-03T14:00:00+02:00"
    assert by_id["gone00001"]["status"] == "cancelled"
    shown = http.get(f"/_sandbox/calendars/{AGENT}/events").json()["items"]
    assert {item["id"]: item["status"] for item in shown} == {
        "moved0001": "confirmed", "gone00001": "cancelled"
    }
