"""Read events: managed/own filters, deleted, last_modified, windows, calendars, paging."""

from __future__ import annotations

from typing import Any

from cronofy_sim_support import Sim, load_fixture


def read(sim: Sim, token: str, query: str) -> Any:
    response = sim.api("GET", f"/v1/events?{query}", token)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: Any) -> list[str]:
    return [e.get("event_id") or e["summary"] for e in page["events"]]


def put_task(sim: Sim, token: str, fixture: str = "event__upsert", **change: Any) -> None:
    body = {**load_fixture(fixture), **change}
    assert (
        sim.api("POST", "/v1/calendars/cal_grace_tasks/events", token, json=body).status_code == 202
    )


def test_managed_events_are_excluded_by_default(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    put_task(sim, token)
    window = "tzid=Etc/UTC&from=2030-03-01&to=2030-03-31"
    assert ids(read(sim, token, window)) == ["Stand-up", "Company offsite"]
    assert ids(read(sim, token, window + "&include_managed=true")) == [
        "Stand-up",
        "zendesk-ticket-4211",
        "Company offsite",
    ]
    assert ids(read(sim, token, window + "&only_managed=True")) == ["zendesk-ticket-4211"]


def test_event_fields(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    put_task(sim, token)
    put_task(sim, token, "event__upsert_local_time")
    events = read(sim, token, "tzid=Etc/UTC&only_managed=true")["events"]
    timed, local = events
    body = load_fixture("event__upsert")
    assert timed["calendar_id"] == "cal_grace_tasks"
    for key in (
        "summary",
        "description",
        "start",
        "end",
        "location",
        "url",
        "reminders",
        "transparency",
        "event_private",
    ):
        assert timed[key] == body[key]
    assert timed["deleted"] is False
    assert local["start"] == "2030-03-06T08:00:00Z"  # {time, tzid} read back in UTC
    assert local["transparency"] == "opaque"
    assert local["event_private"] is False


def test_tzid_is_required_and_flags_validated(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    response = sim.api("GET", "/v1/events?only_managed=maybe", token)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"tzid", "only_managed"}


def test_include_deleted_and_last_modified(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    put_task(sim, token)
    put_task(sim, token, "event__upsert_all_day")
    sim.api(
        "DELETE",
        "/v1/calendars/cal_grace_tasks/events",
        token,
        json={"event_id": "zendesk-ticket-4212"},
    )
    assert ids(read(sim, token, "tzid=Etc/UTC&only_managed=true")) == ["zendesk-ticket-4211"]
    assert ids(read(sim, token, "tzid=Etc/UTC&only_managed=true&include_deleted=true")) == [
        "zendesk-ticket-4211",
        "zendesk-ticket-4212",
    ]

    sim.control("POST", "/clock", json={"advance_seconds": 10})
    since = sim.control("POST", "/clock", json={"advance_seconds": 0}).json()["now"]
    # Changes made by the application itself are not "modified" for last_modified.
    assert read(sim, token, f"tzid=Etc/UTC&only_managed=true&last_modified={since}")["events"] == []
    sim.control(
        "POST",
        "/events/change",
        json={"calendar_id": "cal_grace_tasks", "event_id": "zendesk-ticket-4211", "deleted": True},
    )
    changed = read(
        sim, token, f"tzid=Etc/UTC&only_managed=true&include_deleted=true&last_modified={since}"
    )
    assert [(e["event_id"], e["deleted"]) for e in changed["events"]] == [
        ("zendesk-ticket-4211", True)
    ]


def test_default_window_applies_to_own_events_only(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    put_task(sim, token)  # in 2030, far outside the default window
    # Grace's own 2030 events are outside the default window (16 days back, 201 ahead).
    assert ids(read(sim, token, "tzid=Etc/UTC&include_managed=true")) == ["zendesk-ticket-4211"]
    window = "tzid=Etc/UTC&include_managed=true&from=2030-03-05&to=2030-03-31"
    assert ids(read(sim, token, window)) == ["Company offsite"]
    # One bound given: the other keeps its default (201 days ahead), so 2030 is out of reach.
    assert ids(read(sim, token, "tzid=Etc/UTC&include_managed=true&from=2030-03-01")) == []


def test_tzid_moves_day_boundaries(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    # Stand-up is 14:00Z on 2030-03-04, which is already 2030-03-05 in Kiritimati (UTC+14).
    assert ids(read(sim, token, "tzid=Etc/UTC&from=2030-03-05&to=2030-03-09")) == []
    assert ids(read(sim, token, "tzid=Pacific/Kiritimati&from=2030-03-05&to=2030-03-09")) == [
        "Stand-up"
    ]


def test_calendar_filter(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    window = "tzid=Etc/UTC&from=2030-03-01&to=2030-03-31"
    assert ids(read(sim, token, window + "&calendar_ids[]=cal_grace_shared")) == ["Company offsite"]
    response = sim.api("GET", f"/v1/events?{window}&calendar_ids[]=cal_nobody", token)
    assert response.status_code == 404


def test_next_page_is_a_full_url_and_absent_on_the_last_page(
    sim: Sim, grace: dict[str, Any]
) -> None:
    token = grace["access_token"]
    for number in range(4):
        put_task(sim, token, event_id=f"t{number}")
    first = read(sim, token, "tzid=Etc/UTC&only_managed=true")
    assert first["pages"]["current"] == 1
    assert first["pages"]["total"] == 2
    assert first["pages"]["next_page"].startswith(sim.base_url + "/v1/events/pages/")
    second = sim.api("GET", first["pages"]["next_page"], token).json()
    assert "next_page" not in second["pages"]
    assert len(first["events"]) + len(second["events"]) == 4
    linus_token = sim.seed(
        {"accounts": [{"email": "x@y.test", "name": "X", "calendars": [{"calendar_name": "X"}]}]}
    )[0]
    assert (
        sim.api("GET", first["pages"]["next_page"], linus_token["access_token"]).status_code == 404
    )
