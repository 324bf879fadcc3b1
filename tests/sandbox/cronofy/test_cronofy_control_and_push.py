"""The control API, channels and push notifications, batch limits, and mounting."""

from __future__ import annotations

import time
from typing import Any

import httpx
from cronofy_sim_support import CLIENT_SECRET, Receiver, Sim, load_fixture
from starlette.applications import Starlette
from starlette.routing import Mount

from zdcal.sandbox.cronofy import CronofySimConfig, create_app
from zdcal.sandbox.cronofy.notifications import SIGNATURE_HEADER, sign
from zdcal.sandbox.server import ServerThread

TASKS = "/v1/calendars/cal_grace_tasks/events"


def make_channel(sim: Sim, token: str, url: str, **filters: Any) -> dict[str, Any]:
    body = {"callback_url": url, "filters": filters}
    response = sim.api("POST", "/v1/channels", token, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["channel"])


def test_change_notifications_respect_channel_filters(
    sim: Sim, grace: dict[str, Any], fresh_receiver: Receiver
) -> None:
    token = grace["access_token"]
    sim.api("POST", TASKS, token, json=load_fixture("event__upsert"))
    watching = make_channel(
        sim, token, fresh_receiver.url("/tasks"), **load_fixture("channel__create")["filters"]
    )
    make_channel(sim, token, fresh_receiver.url("/main"), calendar_ids=["cal_grace_main"])
    everything = make_channel(sim, token, fresh_receiver.url("/all"))
    fresh_receiver.wait_for(3)  # three verifications
    change = {
        "calendar_id": "cal_grace_tasks",
        "event_id": "zendesk-ticket-4211",
        "start": "2030-03-05T10:00:00Z",
        "end": "2030-03-05T10:30:00Z",
    }
    moved = sim.control("POST", "/events/change", json=change).json()["event"]
    assert moved["start"] == "2030-03-05T10:00:00Z"
    assert moved["updated"] >= moved["created"]
    deliveries = fresh_receiver.wait_for(5)[3:]
    assert sorted(d.json()["channel"]["channel_id"] for d in deliveries) == sorted(
        [watching["channel_id"], everything["channel_id"]]
    )
    expected_shape = load_fixture("notification__change")
    for delivery in deliveries:
        payload = delivery.json()
        assert payload.keys() == expected_shape.keys()
        assert payload["notification"].keys() == expected_shape["notification"].keys()
        assert delivery.headers[SIGNATURE_HEADER.lower()] == sign(delivery.body, CLIENT_SECRET)
        assert delivery.headers["content-type"] == "application/json; charset=utf-8"
    assert changes_logged(sim, 2) == 2


def changes_logged(sim: Sim, wanted: int, timeout: float = 5.0) -> int:
    """How many change deliveries the simulator's log holds, once it holds ``wanted`` or
    ``timeout`` passed: an attempt is logged when its answer comes back, which can be just
    after the receiver has the request."""
    deadline = time.monotonic() + timeout
    while True:
        log = sim.control("GET", "/notifications").json()
        count = [d["type"] for d in log["deliveries"]].count("change")
        if count >= wanted or time.monotonic() > deadline:
            return count
        time.sleep(0.05)
    assert all(d["outcome"] == "delivered" and d["status"] == 200 for d in log["deliveries"])


def test_channel_validation_and_limits(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    bad = sim.api(
        "POST",
        "/v1/channels",
        token,
        json={"callback_url": "nope", "filters": {"calendar_ids": []}},
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"callback_url", "filters.calendar_ids"}
    for _ in range(128):
        make_channel(sim, token, "http://127.0.0.1:9/unused")
        time.sleep(1 / 40)  # stay under the simulated 50 requests/second
    over = sim.api("POST", "/v1/channels", token, json={"callback_url": "http://127.0.0.1:9/x"})
    assert over.status_code == 422
    assert sim.api("DELETE", "/v1/channels/chn_unknown", token).status_code == 404


def test_lock_gives_423_and_profile_disconnected(
    sim: Sim, grace: dict[str, Any], fresh_receiver: Receiver
) -> None:
    token = grace["access_token"]
    make_channel(sim, token, fresh_receiver.url("/grace"))
    fresh_receiver.wait_for(1)
    sim.control("POST", f"/accounts/{grace['account_id']}/lock")
    assert fresh_receiver.wait_for(2)[1].json()["notification"]["type"] == "profile_disconnected"
    assert sim.api("GET", "/v1/calendars", token).status_code == 423
    assert sim.api("POST", TASKS, token, json=load_fixture("event__upsert")).status_code == 423
    profiles = sim.api("GET", "/v1/profiles", token).json()["profiles"]
    assert profiles[0]["profile_connected"] is False
    sim.control("POST", f"/accounts/{grace['account_id']}/unlock")
    assert sim.api("GET", "/v1/calendars", token).status_code == 200


def test_revoke_from_the_control_api(sim: Sim, grace: dict[str, Any]) -> None:
    make_channel(sim, grace["access_token"], "http://127.0.0.1:9/x")
    sim.control("POST", f"/accounts/{grace['account_id']}/revoke")
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 401
    refreshed = sim.http.post("/oauth/token", json=load_fixture("token__refresh"))
    assert refreshed.json()["error"] == "invalid_grant"
    assert sim.accounts()[0]["channels"] == []
    assert sim.control("POST", "/accounts/acc_nobody/lock").status_code == 404


def test_batch_limits_and_stats(sim: Sim, grace: dict[str, Any]) -> None:
    token, event = grace["access_token"], load_fixture("event__upsert")
    entry = {"method": "POST", "relative_url": TASKS, "data": event}
    too_many = sim.api("POST", "/v1/batch", token, json={"batch": [entry] * 51})
    assert too_many.status_code == 422
    sim.control("POST", "/stats/reset")
    mixed = sim.api(
        "POST",
        "/v1/batch",
        token,
        json={
            "batch": [
                entry,
                {
                    "method": "DELETE",
                    "relative_url": "/v1/calendars/cal_nobody/events",
                    "data": {"event_id": "x"},
                },
                {"method": "PATCH", "relative_url": TASKS, "data": {}},
                {
                    "method": "POST",
                    "relative_url": "/v1/calendars/cal_grace_shared/events",
                    "data": event,
                },
            ]
        },
    )
    assert mixed.status_code == 207
    assert [r["status"] for r in mixed.json()["batch"]] == [202, 404, 422, 422]
    assert "data" not in mixed.json()["batch"][1]
    stats = sim.control("GET", "/stats").json()
    assert stats["requests"] == 1
    assert stats["batch_entries"] == 4
    assert stats["by_route"]["POST /v1/batch"] == 1
    assert stats["by_route"]["POST /v1/calendars/{calendar_id}/events"] == 2
    assert stats["by_status"] == {"202": 1, "207": 1, "404": 1, "422": 2}
    expired = sim.api("POST", "/v1/batch", "not-a-token", json={"batch": [entry]})
    assert expired.status_code == 401


def test_seed_errors_change_nothing(sim: Sim, grace: dict[str, Any]) -> None:
    before = sim.accounts()
    bad = {
        "accounts": [
            {"email": "a@b.test", "name": "A", "calendars": [{"calendar_name": "A"}]},
            {"email": "c@d.test", "name": "C", "calendars": []},
        ]
    }
    response = sim.control("POST", "/seed", json=bad)
    assert response.status_code == 422
    assert "calendars" in response.json()["error"]
    assert sim.accounts() == before
    assert sim.control("POST", "/seed", json=load_fixture("seed__scenario")).status_code == 422


def test_reset_restores_the_default_seed(sim: Sim) -> None:
    accounts = sim.control("POST", "/reset").json()["accounts"]
    assert [a["email"] for a in accounts] == ["ada@example.test", "bob@example.test"]
    ada = accounts[0]
    calendars = sim.api("GET", "/v1/calendars", ada["access_token"]).json()["calendars"]
    flags = [
        (c["calendar_primary"], c["calendar_readonly"], c["calendar_deleted"]) for c in calendars
    ]
    assert flags == [
        (True, False, False),
        (False, False, False),
        (False, True, False),
        (False, False, True),
    ]
    own = sim.api("GET", "/v1/events?tzid=Europe/London", ada["access_token"]).json()
    assert [e["summary"] for e in own["events"]] == ["Team stand-up", "Bank holiday"]


def test_overview_page_lists_accounts_and_events(sim: Sim, grace: dict[str, Any]) -> None:
    sim.api("POST", TASKS, grace["access_token"], json=load_fixture("event__upsert"))
    page = sim.control("GET", "/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    for text in (
        "Grace Hopper",
        "Tasks",
        "read-only",
        "Call back ACME about the invoice",
        "managed: zendesk-ticket-4211",
        "Stand-up",
    ):
        assert text in page.text


def test_works_mounted_under_a_prefix() -> None:
    app = Starlette(routes=[Mount("/cronofy", app=create_app(CronofySimConfig(page_size=1)))])
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url) as http:
        http.put("/cronofy/_sandbox/faults", json={"error_rate": 1})
        accounts = http.get("/cronofy/_sandbox/accounts")
        assert accounts.status_code == 200  # the control API is never faulted
        token = accounts.json()["accounts"][0]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get("/cronofy/v1/account", headers=headers).status_code == 503
        http.put("/cronofy/_sandbox/faults", json={"error_rate": 0})
        page = http.get("/cronofy/v1/events?tzid=Etc/UTC", headers=headers).json()
        assert page["pages"]["next_page"].startswith(server.base_url + "/cronofy/v1/events/pages/")
        assert http.get(page["pages"]["next_page"], headers=headers).status_code == 200
        stats = http.get("/cronofy/_sandbox/stats").json()
        assert stats["by_route"]["GET /v1/events/pages/{page_token}"] == 1
