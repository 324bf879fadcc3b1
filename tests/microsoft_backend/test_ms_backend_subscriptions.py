"""Subscriptions: made on the chosen calendar's events after the validation handshake
(answered through read_push by a receiver on loopback), notifications proven by their
clientState (forgeries refused), renewed when due, remade for another calendar or
address, lifecycle notices, deleted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from microsoft_backend.ms_backend_support import CLIENT_SECRET, upsert
from zdcal.calendars.base import (
    CalendarRejected,
    PushChannel,
    PushKind,
    PushNotice,
    PushRefused,
)
from zdcal.calendars.microsoft.connector import MicrosoftBackend, made_for
from zdcal.calendars.microsoft.push import client_state
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent
from zdcal.webhook_urls import calendar_lifecycle_path, calendar_receiver_path

pytestmark = pytest.mark.anyio
PATH = calendar_receiver_path("microsoft").format(account_key="acct", user_id=1002)


class Receiver:
    """Where the simulator delivers: each request goes through the backend's read_push,
    as zdcal's receiver does; handshakes are answered with the plain-text answer."""

    def __init__(self) -> None:
        self.backend: MicrosoftBackend | None = None
        self.notices: list[PushNotice] = []
        self.refused: list[int] = []

    async def receive(self, request: Request) -> Response:
        assert self.backend is not None
        try:
            notice = self.backend.read_push(await request.body(), request.headers,
                                            request.query_params)
        except PushRefused as refused:
            self.refused.append(refused.status)
            return JSONResponse({"error": refused.reason}, refused.status)
        if notice.answer is not None:
            return PlainTextResponse(notice.answer)
        self.notices.append(notice)
        return JSONResponse({"status": "queued"}, 202)

    async def wait_for(self, count: int) -> list[PushNotice]:
        for _ in range(250):
            if len(self.notices) >= count:
                return self.notices
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.notices)} notices, wanted {count}")


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    lifecycle = calendar_lifecycle_path("microsoft").format(account_key="acct", user_id=1002)
    app = Starlette(routes=[Route(PATH, receiver.receive, methods=["POST"]),
                            Route(lifecycle, receiver.receive, methods=["POST"])])
    with ServerThread(app) as server:
        yield receiver, server.base_url + PATH


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str], backend: MicrosoftBackend
             ) -> tuple[Receiver, str]:
    inbox, url = receiver_server
    inbox.backend, inbox.notices, inbox.refused = backend, [], []
    return inbox, url


def _with(agent: Agent, channel: PushChannel) -> Agent:
    return replace(agent, channel_id=channel.channel_id,
                   channel_resource_id=channel.resource_id,
                   channel_expires_at=channel.expires_at)


async def _subscriptions(sim: httpx.AsyncClient) -> list[dict[str, object]]:
    found: list[dict[str, object]] = (await sim.get("/_sandbox/subscriptions")).json()[
        "subscriptions"]
    return found


async def test_a_subscription_is_made_after_the_handshake_and_notifies(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
) -> None:
    inbox, url = receiver
    assert linked.calendar_id is not None
    channel = await backend.ensure_channel(linked, url)

    (made,) = await _subscriptions(sim)
    assert made["id"] == channel.channel_id
    assert made["notificationUrl"] == url
    assert made["lifecycleNotificationUrl"] == url + "/lifecycle"
    assert made["resource"] == f"me/calendars/{linked.calendar_id}/events"
    assert made["clientState"] == client_state(CLIENT_SECRET)
    assert channel.resource_id == made_for(linked.calendar_id, url)
    assert channel.expires_at is not None
    assert timedelta(days=2) < channel.expires_at - datetime.now(UTC) < timedelta(days=3)
    kinds = [d["kind"] for d in (await sim.get("/_sandbox/notifications")).json()["deliveries"]]
    assert kinds.count("validation") == 2  # the notification and the lifecycle URL

    await backend.for_agent(linked).apply([upsert(5, linked.calendar_id)])
    (notice,) = await inbox.wait_for(1)
    assert (notice.kind, notice.type, notice.channel_id) == (
        PushKind.CHANGE, "created", channel.channel_id)


async def test_forged_notifications_are_refused(backend: MicrosoftBackend) -> None:
    genuine = {"subscriptionId": "s1", "changeType": "updated",
               "clientState": client_state(CLIENT_SECRET)}
    assert backend.read_push(json.dumps({"value": [genuine]}).encode(), {}).kind is (
        PushKind.CHANGE)
    for forged in ({**genuine, "clientState": "guess"}, {k: v for k, v in genuine.items()
                                                         if k != "clientState"}):
        with pytest.raises(PushRefused) as refused:
            backend.read_push(json.dumps({"value": [genuine, forged]}).encode(), {})
        assert refused.value.status == 401
    for garbled in (b"", b"[]", b'{"value": []}', b"\xff", b'{"value": [1]}'):
        with pytest.raises(PushRefused) as refused:
            backend.read_push(garbled, {})
        assert refused.value.status == 400
    mixed = [genuine, {**genuine, "subscriptionId": "s2"}]
    with pytest.raises(PushRefused):
        backend.read_push(json.dumps({"value": mixed}).encode(), {})
    with pytest.raises(PushRefused):
        backend.read_push(b"", {}, {"validationToken": "x" * 5000})


async def test_a_channel_is_kept_then_renewed_when_due(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
) -> None:
    _, url = receiver
    channel = await backend.ensure_channel(linked, url)
    agent = _with(linked, channel)
    assert await backend.ensure_channel(agent, url) == channel  # not due: kept

    due = replace(agent, channel_expires_at=datetime.now(UTC) + timedelta(hours=2))
    renewed = await backend.ensure_channel(due, url)

    assert renewed.channel_id == channel.channel_id
    assert renewed.expires_at is not None
    assert due.channel_expires_at is not None
    assert renewed.expires_at > due.channel_expires_at
    assert [s["id"] for s in await _subscriptions(sim)] == [channel.channel_id]


async def test_another_calendar_or_address_gets_a_new_subscription(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
) -> None:
    _, url = receiver
    channel = await backend.ensure_channel(linked, url)
    other = next(c for c in await backend.for_agent(linked).calendars()
                 if c.writable and not c.primary)
    moved = replace(_with(linked, channel), calendar_id=other.calendar_id)

    again = await backend.ensure_channel(moved, url)

    assert again.channel_id != channel.channel_id
    (live,) = await _subscriptions(sim)  # the old one was deleted
    assert live["id"] == again.channel_id
    assert live["resource"] == f"me/calendars/{other.calendar_id}/events"


async def test_lifecycle_notices_and_a_removed_subscription(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
) -> None:
    inbox, url = receiver
    channel = await backend.ensure_channel(linked, url)
    sub = channel.channel_id
    for sent, event in enumerate(("reauthorizationRequired", "missed", "subscriptionRemoved")):
        answer = await sim.post(f"/_sandbox/subscriptions/{sub}/lifecycle",
                                json={"lifecycleEvent": event})
        assert answer.status_code == 202, answer.text
        await inbox.wait_for(sent + 1)  # one at a time: in order
    assert [(n.kind, n.type, n.channel_id) for n in inbox.notices] == [
        (PushKind.RENEW, "reauthorizationRequired", sub),
        (PushKind.CHANGE, "missed", sub),
        (PushKind.RENEW, "subscriptionRemoved", sub),
    ]
    # The receiver makes the channel due; renewing one Graph removed makes another.
    due = replace(_with(linked, channel), channel_expires_at=datetime.now(UTC))
    remade = await backend.ensure_channel(due, url)
    assert remade.channel_id != sub
    assert [s["id"] for s in await _subscriptions(sim)] == [remade.channel_id]


async def test_closing_deletes_the_subscription(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
) -> None:
    _, url = receiver
    agent = _with(linked, await backend.ensure_channel(linked, url))

    await backend.close_channel(agent, url)
    assert await _subscriptions(sim) == []
    await backend.close_channel(agent, url)  # gone already: no error
    await backend.close_channel(linked, url)  # none at all: no error


async def test_a_receiver_that_does_not_answer_the_handshake_gets_no_subscription(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient,
    microsoft_server: ServerThread,
) -> None:
    with pytest.raises(CalendarRejected):
        await backend.ensure_channel(linked, microsoft_server.base_url + "/nowhere")
    assert await _subscriptions(sim) == []
