"""Subscriptions: the validation handshake, change notifications over real HTTP, renewal,
deletion, lifecycle notifications, retries."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graph_shapes import object_problems
from ms_sim_support import TENANT, Graph, error_code, mint, timed_event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from zdcal.sandbox.microsoft import MicrosoftSimConfig, create_app
from zdcal.sandbox.server import ServerThread


class Receiver:
    """A webhook endpoint: echoes validation tokens (or not, under ``/refuse``), keeps every
    notification body; ``failures`` makes the next N deliveries answer 503."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.failures = 0

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.bodies) >= count:
                    return list(self.bodies)
            time.sleep(0.01)
        with self.lock:
            return list(self.bodies)

    async def endpoint(self, request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            if request.url.path.startswith("/refuse"):
                return PlainTextResponse("nope")
            if request.url.path.startswith("/slow"):
                await asyncio.sleep(0.5)
            return PlainTextResponse(token)
        body = json.loads(await request.body())
        with self.lock:
            if self.failures:
                self.failures -= 1
                return Response(status_code=503)
            self.bodies.append((request.url.path, body))
        return Response(status_code=202)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{path:path}", receiver.endpoint, methods=["POST"])])
    with ServerThread(app) as server:
        yield server.base_url, receiver


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _subscribe(graph: Graph, base: str, **extra: Any) -> httpx.Response:
    return graph.post("/subscriptions", json={
        "changeType": "created,updated,deleted", "notificationUrl": base + "/ms/notify",
        "lifecycleNotificationUrl": base + "/ms/lifecycle", "resource": "me/events",
        "expirationDateTime": _in(60), "clientState": "s3cret", **extra})


def test_subscribe_notify_renew_delete(graph: Graph, receiver: tuple[str, Receiver]) -> None:
    base, inbox = receiver
    with inbox.lock:
        inbox.bodies.clear()
    created = _subscribe(graph, base)
    assert created.status_code == 201, created.text
    subscription = created.json()
    assert subscription["clientState"] == "s3cret"
    event = graph.post("/me/events", json=timed_event()).json()
    graph.patch(f"/me/events/{event['id']}", json={"subject": "x"})
    graph.delete(f"/me/events/{event['id']}")
    bodies = inbox.wait_for(3)
    kinds = [b["value"][0]["changeType"] for _, b in bodies]
    assert sorted(kinds) == ["created", "deleted", "updated"]
    note = bodies[0][1]["value"][0]
    assert note["subscriptionId"] == subscription["id"]
    assert note["clientState"] == "s3cret"
    assert note["tenantId"] == TENANT
    assert note["resourceData"]["id"] == event["id"]
    assert note["resource"].endswith(f"/Events/{event['id']}")
    assert set(note) == {"subscriptionId", "subscriptionExpirationDateTime", "changeType",
                         "resource", "resourceData", "clientState", "tenantId"}

    renewed = graph.patch(f"/subscriptions/{subscription['id']}",
                          json={"expirationDateTime": _in(2000)})
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"] > subscription["expirationDateTime"]
    too_long = graph.patch(f"/subscriptions/{subscription['id']}",
                           json={"expirationDateTime": _in(10_081)})
    assert (too_long.status_code, error_code(too_long)) == (400, "ExtensionError")
    assert [s["id"] for s in graph.get("/subscriptions").json()["value"]] == [subscription["id"]]
    assert graph.delete(f"/subscriptions/{subscription['id']}").status_code == 204
    assert graph.get(f"/subscriptions/{subscription['id']}").status_code == 404


def test_failed_handshake_creates_nothing(graph: Graph, receiver: tuple[str, Receiver]) -> None:
    base, _ = receiver
    refused = graph.post("/subscriptions", json={
        "changeType": "created", "notificationUrl": base + "/refuse/notify",
        "resource": "me/events", "expirationDateTime": _in(60)})
    assert (refused.status_code, error_code(refused)) == (400, "ValidationError")
    nobody = _subscribe(graph, "http://127.0.0.1:9")
    assert nobody.status_code == 400
    assert graph.get("/subscriptions").json()["value"] == []


def test_single_calendar_subscription_and_other_users(
    graph: Graph, http: httpx.Client, receiver: tuple[str, Receiver]
) -> None:
    base, inbox = receiver
    with inbox.lock:
        inbox.bodies.clear()
    calendars = graph.get("/me/calendars").json()["value"]
    watched = calendars[1]["id"]
    assert _subscribe(graph, base, resource=f"me/calendars/{watched}/events",
                      changeType="created").status_code == 201
    graph.post("/me/events", json=timed_event(subject="default calendar"))
    created = graph.post(f"/me/calendars/{watched}/events", json=timed_event()).json()
    other = Graph(http, mint(http, "other@contoso.example"))
    other.post("/me/events", json=timed_event())
    bodies = inbox.wait_for(1)
    time.sleep(0.2)
    assert [b["value"][0]["resourceData"]["id"] for _, b in inbox.wait_for(1)] == [created["id"]]
    assert len(bodies) == 1
    foreign = _subscribe(graph, base, resource="users/other@contoso.example/events")
    assert foreign.status_code == 403
    assert other.problems == []


def test_lifecycle_notifications(graph: Graph, http: httpx.Client,
                                 receiver: tuple[str, Receiver]) -> None:
    base, inbox = receiver
    with inbox.lock:
        inbox.bodies.clear()
    subscription = _subscribe(graph, base).json()
    sent = http.post(f"/_sandbox/subscriptions/{subscription['id']}/lifecycle",
                     json={"lifecycleEvent": "reauthorizationRequired"})
    assert sent.status_code == 202
    path, body = inbox.wait_for(1)[0]
    assert path == "/ms/lifecycle"
    assert body["value"][0]["lifecycleEvent"] == "reauthorizationRequired"
    assert body["value"][0]["clientState"] == "s3cret"
    assert graph.post(f"/subscriptions/{subscription['id']}/reauthorize").status_code == 200
    http.post(f"/_sandbox/subscriptions/{subscription['id']}/lifecycle",
              json={"lifecycleEvent": "subscriptionRemoved"})
    assert inbox.wait_for(2)[1][1]["value"][0]["lifecycleEvent"] == "subscriptionRemoved"
    assert graph.get(f"/subscriptions/{subscription['id']}").status_code == 404


def test_subscription_shape_and_refusals(graph: Graph, receiver: tuple[str, Receiver]) -> None:
    base, _ = receiver
    created = _subscribe(graph, base).json()
    assert object_problems(created, "subscription") == []
    assert created["creatorId"] == graph.get("/me").json()["id"]
    assert _subscribe(graph, base, expirationDateTime=_in(-5)).status_code == 400
    assert _subscribe(graph, base, clientState="x" * 129).status_code == 400
    assert _subscribe(graph, base, changeType="moved").status_code == 400
    assert _subscribe(graph, base, resource="me/messages").status_code == 400


@pytest.fixture
def retrying_server() -> Iterator[ServerThread]:
    config = MicrosoftSimConfig(notification_retry_delays=(0.05, 0.05),
                                validation_timeout_seconds=0.2)
    with ServerThread(create_app(config)) as server:
        yield server


def test_failed_delivery_is_retried(retrying_server: ServerThread,
                                    receiver: tuple[str, Receiver]) -> None:
    base, inbox = receiver
    with httpx.Client(base_url=retrying_server.base_url, timeout=10) as http:
        graph = Graph(http, mint(http))
        assert _subscribe(graph, base).status_code == 201
        with inbox.lock:
            inbox.bodies.clear()
            inbox.failures = 1
        graph.post("/me/events", json=timed_event())
        assert len(inbox.wait_for(1)) == 1
        # The simulator logs the second attempt once the receiver's 202 reaches it, a
        # moment after the body arrived.
        deadline = time.monotonic() + 10
        while True:
            deliveries = http.get("/_sandbox/notifications").json()["deliveries"]
            changes = [(d["status"], d["attempt"]) for d in deliveries if d["kind"] == "change"]
            if len(changes) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert changes == [(503, 1), (202, 2)]
        assert graph.problems == []


def test_a_handshake_answered_too_late_fails(retrying_server: ServerThread,
                                             receiver: tuple[str, Receiver]) -> None:
    base, _ = receiver
    with httpx.Client(base_url=retrying_server.base_url, timeout=10) as http:
        graph = Graph(http, mint(http))
        late = _subscribe(graph, base + "/slow")
        assert (late.status_code, error_code(late)) == (400, "ValidationError")
        assert graph.get("/subscriptions").json()["value"] == []
        assert graph.problems == []
