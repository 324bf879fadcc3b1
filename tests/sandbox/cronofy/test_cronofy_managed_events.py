"""Upsert and delete of managed events: every documented limit and the calendar rules."""

from __future__ import annotations

from typing import Any

import pytest
from cronofy_sim_support import Sim, load_fixture

EVENTS = "/v1/calendars/{}/events"


def upsert(sim: Sim, token: str, body: Any, calendar_id: str = "cal_grace_tasks") -> Any:
    return sim.api("POST", EVENTS.format(calendar_id), token, json=body)


def stored(sim: Sim, calendar_id: str = "cal_grace_tasks") -> list[dict[str, Any]]:
    response = sim.control("GET", f"/calendars/{calendar_id}/events?include_deleted=true")
    return list(response.json()["events"])


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"event_id": None}, "event_id", "errors.required"),
        ({"event_id": "x" * 201}, "event_id", "errors.too_long"),
        ({"event_id": 42}, "event_id", "errors.invalid_type"),
        ({"summary": None}, "summary", "errors.required"),
        ({"summary": "s" * 1025}, "summary", "errors.too_long"),
        ({"description": "d" * 4097}, "description", "errors.too_long"),
        ({"start": None}, "start", "errors.required"),
        ({"end": None}, "end", "errors.required"),
        ({"start": "2030-03-04 15:30"}, "start", "errors.invalid"),
        ({"start": "2030-03-04T15:30:00"}, "start", "errors.invalid"),
        ({"start": "2030-02-30"}, "start", "errors.invalid"),
        ({"end": "2030-03-04T15:00:00Z"}, "end", "errors.end_before_start"),
        ({"end": "2030-03-04T15:30:00Z"}, "end", "errors.end_before_start"),
        ({"end": "2030-03-05"}, "end", "errors.invalid"),
        ({"tzid": "Mars/Olympus_Mons"}, "tzid", "errors.unknown_tzid"),
        (
            {"start": {"time": "2030-03-04T15:30:00Z", "tzid": "Nowhere/City"}},
            "start",
            "errors.unknown_tzid",
        ),
        ({"start": {"tzid": "Europe/Paris"}}, "start", "errors.required"),
        ({"transparency": "busy"}, "transparency", "errors.invalid"),
        ({"event_private": "yes"}, "event_private", "errors.invalid_type"),
        ({"reminders": [{"minutes": 15}] * 6}, "reminders", "errors.too_many"),
        ({"reminders": [{"minutes": -1}]}, "reminders", "errors.invalid"),
        ({"reminders": [{"minutes": 40321}]}, "reminders", "errors.invalid"),
        ({"reminders": "15"}, "reminders", "errors.invalid_type"),
        ({"url": "ftp://example.test/file"}, "url", "errors.invalid"),
        ({"location": "Board room"}, "location", "errors.invalid"),
    ],
)
def test_invalid_upserts_are_422_per_field(
    sim: Sim, grace: dict[str, Any], change: dict[str, Any], field: str, key: str
) -> None:
    body = {**load_fixture("event__upsert"), **change}
    response = upsert(sim, grace["access_token"], body)
    assert response.status_code == 422
    assert key in [error["key"] for error in response.json()["errors"][field]]
    assert stored(sim) == []


def test_422_reports_every_bad_field_at_once(sim: Sim, grace: dict[str, Any]) -> None:
    response = upsert(sim, grace["access_token"], {"description": 7})
    errors = response.json()["errors"]
    assert set(errors) == {"event_id", "summary", "start", "end", "description"}
    assert all(error["description"] for errors_of in errors.values() for error in errors_of)


@pytest.mark.parametrize(
    "fixture", ["event__upsert", "event__upsert_all_day", "event__upsert_local_time"]
)
def test_upsert_stores_exactly_what_was_sent(sim: Sim, grace: dict[str, Any], fixture: str) -> None:
    body = load_fixture(fixture)
    response = upsert(sim, grace["access_token"], body)
    assert response.status_code == 202
    assert response.content == b""
    [event] = stored(sim)
    assert event["sent"] == body
    assert event["event_uid"].startswith("evt_")
    assert event["created"] == event["updated"]


def test_upsert_is_keyed_by_calendar_and_event_id(sim: Sim, grace: dict[str, Any]) -> None:
    token, body = grace["access_token"], load_fixture("event__upsert")
    upsert(sim, token, body)
    first = stored(sim)[0]
    sim.control("POST", "/clock", json={"advance_seconds": 5})
    upsert(sim, token, {**body, "summary": "Moved"})
    upsert(sim, token, body, calendar_id="cal_grace_main")
    [again] = stored(sim)
    assert again["event_uid"] == first["event_uid"]
    assert again["sent"]["summary"] == "Moved"
    assert again["updated"] > again["created"]
    assert len(stored(sim, "cal_grace_main")) == 2  # Grace's own stand-up + the copy


@pytest.mark.parametrize(
    ("calendar_id", "key"),
    [
        ("cal_grace_shared", "errors.calendar_readonly"),
        ("cal_grace_gone", "errors.calendar_deleted"),
    ],
)
def test_unwritable_calendars_refuse_upserts(
    sim: Sim, grace: dict[str, Any], calendar_id: str, key: str
) -> None:
    response = upsert(sim, grace["access_token"], load_fixture("event__upsert"), calendar_id)
    assert response.status_code == 422
    assert response.json()["errors"]["calendar_id"][0]["key"] == key


def test_unknown_and_foreign_calendars_are_404(sim: Sim, grace: dict[str, Any]) -> None:
    linus = sim.accounts()[1]
    foreign = linus["calendars"][0]["calendar_id"]
    for calendar_id in ("cal_unknown", foreign):
        assert (
            upsert(
                sim, grace["access_token"], load_fixture("event__upsert"), calendar_id
            ).status_code
            == 404
        )
        response = sim.api(
            "DELETE", EVENTS.format(calendar_id), grace["access_token"], json={"event_id": "x"}
        )
        assert response.status_code == 404


def test_delete_marks_deleted_and_absent_is_a_noop(sim: Sim, grace: dict[str, Any]) -> None:
    token, body = grace["access_token"], load_fixture("event__upsert")
    upsert(sim, token, body)
    path = EVENTS.format("cal_grace_tasks")
    assert sim.api("DELETE", path, token, json={"event_id": "absent"}).status_code == 202
    assert sim.api("DELETE", path, token, json={"event_id": body["event_id"]}).status_code == 202
    assert sim.api("DELETE", path, token, json={"event_id": body["event_id"]}).status_code == 202
    [event] = stored(sim)
    assert event["deleted"] is True
    assert sim.api("DELETE", path, token, json={}).json()["errors"]["event_id"][0]["key"] == (
        "errors.required"
    )
    upsert(sim, token, body)
    assert stored(sim)[0]["deleted"] is False


def test_malformed_json_is_422(sim: Sim, grace: dict[str, Any]) -> None:
    response = sim.api(
        "POST",
        EVENTS.format("cal_grace_tasks"),
        grace["access_token"],
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_scopes_are_enforced(sim: Sim) -> None:
    seed = load_fixture("seed__scenario")
    account = {**seed["accounts"][1], "scope": "read_events", "access_token": "narrow"}
    [linus] = sim.seed({"accounts": [account]})
    calendar_id = linus["calendars"][0]["calendar_id"]
    response = upsert(sim, "narrow", load_fixture("event__upsert"), calendar_id)
    assert response.status_code == 403
    assert sim.api("GET", "/v1/events?tzid=Etc/UTC", "narrow").status_code == 200
