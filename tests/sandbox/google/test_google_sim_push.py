"""events.watch / channels.stop through google-api-python-client; deliveries over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google_sim_support import AGENT, Tokens
from googleapiclient.errors import HttpError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zdcal.sandbox.server import ServerThread


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []

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
        return Response(status_code=200)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with ServerThread(app) as server:
        yield server, receiver


def test_watch_delivers_sync_then_exists_until_stopped(
    calendar_client: Callable[[Tokens], Any], agent_tokens: Tokens, http: httpx.Client,
    receiver_server: tuple[ServerThread, Receiver],
) -> None:
    server, receiver = receiver_server
    with receiver.lock:
        receiver.headers.clear()
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
