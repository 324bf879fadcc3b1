"""The control API the tests and benchmarks steer with: users at run time, tokens without
the consent page, quotas, request counters; and the runner serving the Google simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from google_sim_support import AGENT, Tokens, connect

from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import ScenarioError, parse_scenario

NEW_USERS = {"users": [
    {"email": "agent1@example.com"},
    {"email": "agent2@example.com", "calendars": [
        {"summary": "Work", "time_zone": "Europe/Paris"},
        {"summary": "Team", "access_role": "writer", "calendar_id": "team@group.example"},
    ]},
]}


def test_users_added_at_run_time_get_tokens_and_calendars(
    http: httpx.Client, calendar_client: Callable[[Tokens], Any],
) -> None:
    added = http.post("/_sandbox/users", json=NEW_USERS)
    assert added.status_code == 200, added.text
    emails = [u["email"] for u in added.json()["users"]]
    assert emails[-2:] == ["agent1@example.com", "agent2@example.com"]
    assert http.post("/_sandbox/users", json=NEW_USERS).status_code == 422  # already there

    minted = http.post("/_sandbox/users/agent2@example.com/tokens")
    assert minted.status_code == 200
    body = minted.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"].startswith("1//")
    service = calendar_client(Tokens(body["access_token"], body["refresh_token"], body["scope"]))
    calendars = service.calendarList().list().execute()["items"]
    assert [(c["summary"], c.get("primary", False)) for c in calendars] == [
        ("Work", True), ("Team", False)
    ]
    assert calendars[0]["timeZone"] == "Europe/Paris"
    service.events().insert(calendarId="team@group.example", body={
        "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}).execute()

    refreshed = http.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": "sandbox-client.apps.googleusercontent.com",
        "client_secret": "sandbox-client-secret",
    })
    assert refreshed.status_code == 200
    # The consent page offers run-time users too, Google-like and narrow-screen ready.
    page = http.get("/o/oauth2/v2/auth", params={
        "client_id": "sandbox-client.apps.googleusercontent.com", "response_type": "code",
        "redirect_uri": "http://127.0.0.1:9/cb",
        "scope": "https://www.googleapis.com/auth/calendar.events",
    })
    assert "agent1@example.com" in page.text
    assert 'name="viewport"' in page.text
    assert "View and edit events on all your calendars" in page.text
    assert connect(http, "agent1@example.com").refresh_token

    http.post("/_sandbox/reset")  # run-time users go with a reset
    assert http.post("/_sandbox/users/agent1@example.com/tokens").status_code == 404


@pytest.mark.parametrize("bad", [
    None, {"users": "x"}, {"users": [{"email": "nobody"}]},
    {"users": [{"email": "a@x.org", "calendars": []}]},
    {"users": [{"email": "a@x.org", "calendars": [{"time_zone": "Mars/Olympus"}]}]},
    {"users": [{"email": "a@x.org", "calendars": [{"access_role": "king"}]}]},
    {"users": [{"email": "a@x.org"}, {"email": "a@x.org"}]},
])
def test_bad_user_bodies_are_refused_whole(http: httpx.Client, bad: Any) -> None:
    before = http.get("/_sandbox/users").json()
    answer = http.post("/_sandbox/users", json=bad)
    assert answer.status_code == 422
    assert answer.json()["error"]
    assert http.get("/_sandbox/users").json() == before


def test_quotas_at_run_time_and_the_request_counters(http: httpx.Client) -> None:
    assert http.put("/_sandbox/quotas", json={"requests_per_minute_per_user": 2,
                                              "quota_status": 429}).status_code == 200
    assert http.put("/_sandbox/quotas", json={"quota_status": 500}).status_code == 422
    assert http.put("/_sandbox/quotas", json={"per_hour": 5}).status_code == 422
    assert http.get("/_sandbox/quotas").json()["requests_per_minute_per_user"] == 2
    http.post("/_sandbox/stats/reset")
    agent = {"Authorization": "Bearer " + connect(http, AGENT).access_token}
    path = "/calendar/v3/calendars/primary/events"
    assert [http.get(path, headers=agent).status_code for _ in range(3)] == [200, 200, 429]
    assert http.get(path).status_code == 401
    stats = http.get("/_sandbox/stats").json()
    assert stats["by_user"] == {AGENT: 2}
    assert stats["quota_refused"] == {"userRateLimitExceeded": 1}
    assert stats["quota_refused_by_user"] == {AGENT: 1}
    assert stats["by_route"] == {"GET /calendar/v3/calendars/{calendar_id}/events": 4}
    assert stats["by_status"] == {"200": 2, "401": 1, "429": 1}
    assert stats["requests"] == 4  # OAuth and control requests are not counted
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/quotas").json()["requests_per_minute_per_user"] == 600
    assert http.get("/_sandbox/stats").json()["requests"] == 0


def test_the_runner_serves_google_when_asked() -> None:
    scenario = parse_scenario({
        "google": {"users": [{"email": "solo@example.com"}]},
        "faults": {"google": {"latency_ms": 1}},
        "settings": {"google": {"requests_per_minute_per_user": 7}},
    })
    with Sandbox.create(scenario, google=True) as sandbox:
        assert sandbox.google is not None
        with httpx.Client(base_url=sandbox.google.base_url) as http:
            assert [u["email"] for u in http.get("/_sandbox/users").json()["users"]] == [
                "solo@example.com"
            ]
            assert http.get("/_sandbox/faults").json()["latency_ms"] == 1
            assert http.get("/_sandbox/quotas").json()["requests_per_minute_per_user"] == 7
    with pytest.raises(ScenarioError, match=r"settings\.google"):
        Sandbox.create(parse_scenario({"settings": {"google": {"colour": 1}}}), google=True)
    with pytest.raises(ScenarioError, match=r"settings\.google"):
        Sandbox.create(parse_scenario({"google": {"users": "none"}}), google=True)
