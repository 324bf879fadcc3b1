"""Injected failures answered as Google answers them: google-api-python-client retries the
ones Google says to retry (5xx, 429, 403 rate limits), refreshes on 401, and gives up on 410."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from google_sim_support import RecordingHttp, Tokens, batch_parts, reason_of
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from zdcal.sandbox.server import ServerThread

EVENTS = "/calendar/v3/calendars/*/events"
ALL_DAY = {"start": {"date": "2030-03-01"}, "end": {"date": "2030-03-02"}}


def no_wait(request: Any) -> Any:
    """The client's own backoff is ``sleep(rand() * 2**n)``: rand 0 keeps the test fast."""
    request._rand = lambda: 0.0
    return request


def fail(http: httpx.Client, **failure: Any) -> None:
    answer = http.post("/_sandbox/faults/failures", json=failure)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("status", "reason"), [
    (503, None), (500, None), (429, None), (403, "rateLimitExceeded"),
    (403, "userRateLimitExceeded"),
])
def test_the_client_retries_what_google_says_to_retry(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
    recorder: RecordingHttp, status: int, reason: str | None,
) -> None:
    fail(http, status=status, count=2, method="POST", path=EVENTS, reason=reason)
    service = calendar_client(agent_tokens)
    made = no_wait(service.events().insert(calendarId="primary",
                                           body={"id": "retried01", **ALL_DAY}))
    assert made.execute(num_retries=3)["id"] == "retried01"
    assert [e.status for e in recorder.log] == [status, status, 200]
    expected = reason or {503: "backendError", 500: "backendError", 429: "rateLimitExceeded"}[
        status
    ]
    assert reason_of(recorder.log[0].body) == expected
    assert http.get("/_sandbox/faults/failures").json()["pending"] == []


def test_a_rejected_access_token_is_refreshed_once_and_the_call_repeated(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
    recorder: RecordingHttp,
) -> None:
    fail(http, status=401, path="/calendar/v3/users/me/calendarList")
    service = calendar_client(agent_tokens)
    listed = service.calendarList().list().execute()
    assert listed["items"]
    statuses = [(e.status, e.uri.rsplit("/", 1)[-1]) for e in recorder.log]
    assert statuses == [(401, "calendarList?alt=json"), (200, "token"),
                        (200, "calendarList?alt=json")]
    assert reason_of(recorder.log[0].body) == "authError"


def test_410_on_a_sync_read_means_a_full_sync(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
) -> None:
    service = calendar_client(agent_tokens)
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    fail(http, status=410, method="GET", path=EVENTS)
    with pytest.raises(HttpError) as gone:
        service.events().list(calendarId="primary", syncToken=token).execute(num_retries=2)
    assert gone.value.status_code == 410
    assert reason_of(gone.value.content) == "fullSyncRequired"
    # Only the scripted one failed: the same token still works (nothing really expired).
    assert service.events().list(calendarId="primary", syncToken=token).execute()["items"] == []


def test_inner_batch_calls_fail_one_by_one(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
    google_server: ServerThread, recorder: RecordingHttp,
) -> None:
    service = calendar_client(agent_tokens)
    fail(http, status=503)  # no path: the first Calendar call, not the batch envelope
    http.put("/_sandbox/faults", json={"burst_429": 1})
    batch = BatchHttpRequest(callback=lambda *_: None,
                             batch_uri=google_server.base_url + "/batch/calendar/v3")
    for n in range(4):
        batch.add(service.events().insert(calendarId="primary",
                                          body={"id": f"inner{n:04d}", **ALL_DAY}))
    batch.execute()
    envelope = next(e for e in recorder.log if e.uri.endswith("/batch/calendar/v3"))
    assert envelope.status == 200
    parts = batch_parts(envelope.body)
    assert [status for status, _ in parts] == [503, 429, 200, 200]
    assert [reason_of(body) for _, body in parts[:2]] == ["backendError", "rateLimitExceeded"]
    stats = http.get("/_sandbox/stats").json()
    assert stats["faults_injected"] == 2
    assert stats["batch_entries"] == 4

    fail(http, status=502, path="/batch/calendar/v3")  # named: the envelope itself fails
    again = BatchHttpRequest(callback=lambda *_: None,
                             batch_uri=google_server.base_url + "/batch/calendar/v3")
    again.add(service.events().get(calendarId="primary", eventId="inner0002"))
    with pytest.raises(HttpError) as envelope_failed:
        again.execute()
    assert envelope_failed.value.status_code == 502


def test_random_knobs_latency_and_the_never_faulted_control_api(
    http: httpx.Client, agent_tokens: Tokens,
) -> None:
    auth = {"Authorization": f"Bearer {agent_tokens.access_token}"}
    path = "/calendar/v3/calendars/primary/events"
    assert http.put("/_sandbox/faults", json={"error_rate": 1}).status_code == 200
    failed = http.get(path, headers=auth)
    assert failed.status_code == 503
    assert failed.json()["error"]["errors"][0]["reason"] == "backendError"
    assert http.get("/_sandbox/users").status_code == 200  # the control API: never faulted
    token = http.post("/token", data={"grant_type": "refresh_token"})  # OAuth: never faulted
    assert token.status_code == 401
    http.put("/_sandbox/faults", json={"error_rate": 0, "latency_ms": 150})
    started = time.monotonic()
    assert http.get(path, headers=auth).status_code == 200
    assert time.monotonic() - started >= 0.15
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/faults").json()["latency_ms"] == 0  # reset: as configured


@pytest.mark.parametrize("bad", [
    {"status": 200}, {"status": 503, "count": 0}, {"status": 503, "reason": "nonsense"},
    {"status": 503, "colour": "red"}, [{"status": 503}, "x"], "503",
])
def test_bad_failure_scripts_are_refused_and_change_nothing(
    http: httpx.Client, bad: Any
) -> None:
    answer = http.post("/_sandbox/faults/failures", json=bad)
    assert answer.status_code == 422
    assert answer.json()["error"]
    assert http.get("/_sandbox/faults/failures").json()["pending"] == []
    assert http.put("/_sandbox/faults", json={"error_rate": 3}).status_code == 422


def test_failures_can_be_listed_and_dropped(http: httpx.Client) -> None:
    fail(http, status=500, count=3)
    assert http.get("/_sandbox/faults/failures").json()["pending"] == [
        {"status": 500, "count": 3, "method": None, "path": None, "reason": None}
    ]
    assert http.delete("/_sandbox/faults/failures").json()["pending"] == []
