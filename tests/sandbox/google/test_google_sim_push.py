"""events.watch / channels.stop through google-api-python-client; deliveries over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google_sim_support import AGENT, Tokens, connect
from googleapiclient.errors import HttpError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.google import GoogleSimConfig, create_app
from zdcal.sandbox.server import ServerThread


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self.answers: list[int] = []
        """Statuses to answer next, in order (then 200)."""

    def clear(self, answers: tuple[int, ...] = ()) -> None:
        with self.lock:
            self.headers.clear()
            self.bodies.clear()
            self.answers = list(answers)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.headers) >= count:
                    return list(self.headers)
            time.sleep(0.01)
        with self.lock:
            return list(self.headers)


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[ServerThread, Receiver]]:
    receiver = Receiver()

    async def record(request: Request) -> Response:
        body = await request.body()
        with receiver.lock:
            receiver.headers.append({k.lower(): v for k, v in request.headers.items()})
            receiver.bodies.append(body)
            status = receiver.answers.pop(0) if receiver.answers else 200
        return Response(status_code=status)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with ServerThread(app) as server:
        yield server, receiver


def test_watch_delivers_sync_then_exists_until_stopped(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
    receiver_server: tuple[ServerThread, Receiver],
) -> None:
    server, receiver = receiver_server
    receiver.clear()
    service = calendar_client(agent_tokens)
    channel = service.events().watch(calendarId="primary", body={
        "id": "chan-1", "type": "web_hook", "address": server.base_url + "/google/push",
        "token": "account=acme",
    }).execute()
    assert channel["id"] == "chan-1"
    assert channel["token"] == "account=acme"
    assert int(channel["expiration"]) > time.time() * 1000

    first = receiver.wait_for(1)
    assert first[0]["x-goog-resource-state"] == "sync"
    assert first[0]["x-goog-message-number"] == "1"

    service.events().insert(calendarId="primary", body={
        "id": "pushed001", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"},
    }).execute()
    moved = http.patch(f"/_sandbox/calendars/{AGENT}/events/pushed001",
                       json={"summary": "renamed by the user"})
    assert moved.status_code == 200
    seen = receiver.wait_for(3)
    assert [h["x-goog-resource-state"] for h in seen] == ["sync", "exists", "exists"]
    for headers in seen:
        assert headers["x-goog-channel-id"] == "chan-1"
        assert headers["x-goog-channel-token"] == "account=acme"
        assert headers["x-goog-resource-id"] == channel["resourceId"]
        assert headers["x-goog-resource-uri"] == channel["resourceUri"]
        assert headers["x-goog-channel-expiration"].endswith("GMT")
    assert sorted(int(h["x-goog-message-number"]) for h in seen) == [1, 2, 3]
    assert receiver.bodies[-1] == b""

    with pytest.raises(HttpError) as reused:
        service.events().watch(calendarId="primary", body={
            "id": "chan-1", "type": "web_hook", "address": server.base_url + "/x",
        }).execute()
    assert reused.value.status_code == 400

    with pytest.raises(HttpError) as wrong:
        service.channels().stop(body={"id": "chan-1", "resourceId": "nope"}).execute()
    assert wrong.value.status_code == 404
    assert service.channels().stop(
        body={"id": "chan-1", "resourceId": channel["resourceId"]}
    ).execute() == ""
    service.events().patch(calendarId="primary", eventId="pushed001",
                           body={"summary": "after stop"}).execute()
    time.sleep(0.2)
    assert len(receiver.wait_for(4, timeout=0.3)) == 3


@pytest.fixture
def quick_retries() -> Iterator[ServerThread]:
    """A simulator whose push retries wait 50, 100, 200 ms (Google's wait is seconds)."""
    config = GoogleSimConfig(push_retries=2, push_retry_base_seconds=0.05)
    with ServerThread(create_app(config)) as server:
        yield server


def _watch(http: httpx.Client, tokens: Tokens, address: str, **extra: Any) -> dict[str, Any]:
    answer = http.post("/calendar/v3/calendars/primary/events/watch",
                       headers={"Authorization": f"Bearer {tokens.access_token}"},
                       json={"id": "chan-r", "type": "web_hook", "address": address, **extra})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _user_insert(http: httpx.Client, tokens: Tokens, event_id: str) -> None:
    answer = http.post("/calendar/v3/calendars/primary/events",
                       headers={"Authorization": f"Bearer {tokens.access_token}"},
                       json={"id": event_id, "start": {"date": "2030-01-01"},
                             "end": {"date": "2030-01-02"}})
    assert answer.status_code == 200, answer.text


def _log(http: httpx.Client, count: int, timeout: float = 3.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        entries: list[dict[str, Any]] = http.get("/_sandbox/notifications").json()["deliveries"]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.02)


def test_5xx_and_silence_are_retried_with_backoff_other_failures_are_not(
    quick_retries: ServerThread, receiver_server: tuple[ServerThread, Receiver],
) -> None:
    server, receiver = receiver_server
    receiver.clear(answers=(503, 500))
    with httpx.Client(base_url=quick_retries.base_url, timeout=10) as http:
        tokens = connect(http, AGENT)
        _watch(http, tokens, server.base_url + "/push")
        seen = receiver.wait_for(3)
        assert [h["x-goog-resource-state"] for h in seen] == ["sync"] * 3
        assert {h["x-goog-message-number"] for h in seen} == {"1"}  # a retry: same message
        log = _log(http, 3)
        assert [(e["attempt"], e["outcome"], e["status"]) for e in log] == [
            (1, "retrying", 503), (2, "retrying", 500), (3, "delivered", 200)
        ]

        receiver.clear(answers=(404,))
        _user_insert(http, tokens, "notretried1")
        time.sleep(0.3)
        assert len(receiver.wait_for(2, timeout=0.1)) == 1  # 404: a failure, not retried
        assert _log(http, 4)[-1]["outcome"] == "failed"
        assert receiver.headers[0]["x-goog-message-number"] == "2"

        receiver.clear(answers=(503, 503, 503))
        _user_insert(http, tokens, "gaveup0001")
        assert len(receiver.wait_for(3)) == 3
        assert [e["outcome"] for e in _log(http, 7)[-3:]] == ["retrying", "retrying", "gave_up"]

        http.post("/_sandbox/reset")
        tokens = connect(http, AGENT)
        _watch(http, tokens, "http://127.0.0.1:9/nobody-listens")
        log = _log(http, 3)
        assert [e["outcome"] for e in log] == ["retrying", "retrying", "gave_up"]
        assert all(e["status"] is None and e["error"] for e in log)


def test_expired_channels_get_nothing_more(
    http: httpx.Client, agent_tokens: Tokens, receiver_server: tuple[ServerThread, Receiver],
) -> None:
    server, receiver = receiver_server
    receiver.clear()
    channel = _watch(http, agent_tokens, server.base_url + "/push", params={"ttl": "60"})
    assert int(channel["expiration"]) <= (time.time() + 61) * 1000
    assert receiver.wait_for(1)[0]["x-goog-resource-state"] == "sync"
    listed = http.get("/_sandbox/channels").json()["channels"]
    assert [c["id"] for c in listed] == ["chan-r"]
    assert http.post("/_sandbox/clock", json={"advance_seconds": 61}).status_code == 200
    _user_insert(http, agent_tokens, "afterttl01")
    assert http.get("/_sandbox/channels").json()["channels"] == []

    second = _watch(http, agent_tokens, server.base_url + "/push")
    assert len(receiver.wait_for(2)) == 2
    expired = http.post("/_sandbox/channels/chan-r/expire")
    assert expired.status_code == 200
    assert http.post("/_sandbox/channels/chan-r/expire").status_code == 404
    _user_insert(http, agent_tokens, "aftrstop01")
    time.sleep(0.2)
    assert len(receiver.wait_for(3, timeout=0.1)) == 2
    stop = http.post("/calendar/v3/channels/stop",
                     headers={"Authorization": f"Bearer {agent_tokens.access_token}"},
                     json={"id": "chan-r", "resourceId": second["resourceId"]})
    assert stop.status_code == 404
    bad_ttl = http.post("/calendar/v3/calendars/primary/events/watch",
                        headers={"Authorization": f"Bearer {agent_tokens.access_token}"},
                        json={"id": "chan-t", "type": "web_hook", "address": server.base_url,
                              "params": {"ttl": "soon"}})
    assert bad_ttl.status_code == 400


def test_user_moves_and_deletes_notify_and_drops_are_logged(
    http: httpx.Client, agent_tokens: Tokens, receiver_server: tuple[ServerThread, Receiver],
) -> None:
    server, receiver = receiver_server
    receiver.clear()
    _watch(http, agent_tokens, server.base_url + "/push")
    _user_insert(http, agent_tokens, "usermoved1")
    assert http.patch(f"/_sandbox/calendars/{AGENT}/events/usermoved1",
                      json={"start": {"date": "2030-01-05"}, "end": {"date": "2030-01-06"}}
                      ).status_code == 200
    assert http.delete(f"/_sandbox/calendars/{AGENT}/events/usermoved1").status_code == 204
    # Each delivery is its own task: they may arrive out of order, the numbers tell the order.
    seen = sorted(receiver.wait_for(4), key=lambda h: int(h["x-goog-message-number"]))
    assert [h["x-goog-message-number"] for h in seen] == ["1", "2", "3", "4"]
    assert [h["x-goog-resource-state"] for h in seen] == ["sync", "exists", "exists", "exists"]
    http.put("/_sandbox/faults", json={"webhook_drop_rate": 1})
    _user_insert(http, agent_tokens, "dropped001")
    dropped = [e for e in _log(http, 5) if e["outcome"] == "dropped"]
    assert [e["message_number"] for e in dropped] == [5]
    time.sleep(0.1)
    assert len(receiver.wait_for(5, timeout=0.1)) == 4
