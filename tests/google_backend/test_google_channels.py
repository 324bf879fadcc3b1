"""Push channels: events.watch with zdcal's token, deliveries verified by that token
(forgeries refused), kept until due for renewal, renewed (the old one stopped), closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from google_backend.google_backend_support import upsert
from zdcal.calendars.base import PushChannel, PushKind, PushRefused
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.push import channel_token
from zdcal.sandbox.server import ServerThread
from zdcal.store import Agent

pytestmark = pytest.mark.anyio


class Receiver:
    """Where the simulator delivers: keeps each delivery's headers."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, str]] = []

    async def receive(self, request: Request) -> Response:
        self.deliveries.append(dict(request.headers))
        return Response(status_code=200)

    async def wait_for(self, count: int) -> list[dict[str, str]]:
        for _ in range(200):
            if len(self.deliveries) >= count:
                return self.deliveries
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.deliveries)} deliveries, wanted {count}")


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/webhooks/google/acct/1002", receiver.receive,
                                  methods=["POST"])])
    with ServerThread(app) as server:
        yield receiver, server.base_url + "/webhooks/google/acct/1002"


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str]) -> tuple[Receiver, str]:
    receiver_server[0].deliveries.clear()
    return receiver_server


async def test_a_channel_is_made_and_its_deliveries_are_genuine(
    backend: GoogleBackend, linked: Agent, receiver: tuple[Receiver, str]
) -> None:
    inbox, url = receiver
    channel = await backend.ensure_channel(linked, url)

    assert 0 < len(channel.channel_id) <= 64
    assert channel.resource_id
    assert channel.expires_at is not None
    assert channel.expires_at > datetime.now(UTC)
    [sync] = await inbox.wait_for(1)
    notice = backend.read_push(b"", sync)
    assert notice.kind is PushKind.VERIFICATION
    assert notice.channel_id == channel.channel_id
    assert notice.callback_url is None

    await backend.for_agent(linked).apply([upsert(1)])
    change = (await inbox.wait_for(2))[1]
    assert backend.read_push(b"", change).kind is PushKind.CHANGE
    assert sync["x-goog-channel-token"] == channel_token("sandbox-client-secret",
                                                         channel.channel_id)


async def test_forged_or_missing_tokens_are_refused(backend: GoogleBackend) -> None:
    genuine = {
        "X-Goog-Channel-ID": "c1", "X-Goog-Resource-State": "exists",
        "X-Goog-Channel-Token": channel_token("sandbox-client-secret", "c1"),
    }
    assert backend.read_push(b"", genuine).kind is PushKind.CHANGE  # any header case
    forgeries = [
        {**genuine, "X-Goog-Channel-Token": channel_token("another-secret", "c1")},
        {**genuine, "X-Goog-Channel-ID": "c2"},  # a genuine token of another channel
        {k: v for k, v in genuine.items() if k != "X-Goog-Channel-Token"},
        {k: v for k, v in genuine.items() if k != "X-Goog-Channel-ID"},
    ]
    for headers in forgeries:
        with pytest.raises(PushRefused) as refused:
            backend.read_push(b"", headers)
        assert refused.value.status == 401
    with pytest.raises(PushRefused) as malformed:
        backend.read_push(b"", {k: v for k, v in genuine.items()
                                if k != "X-Goog-Resource-State"})
    assert malformed.value.status == 400


async def test_a_channel_is_kept_until_due_for_renewal_then_replaced(
    backend: GoogleBackend, linked: Agent, receiver: tuple[Receiver, str],
    sim: httpx.AsyncClient,
) -> None:
    _, url = receiver
    first = await backend.ensure_channel(linked, url)
    holding = _holding(linked, first)

    assert await backend.ensure_channel(holding, url) == first  # no request made

    due = replace(holding, channel_expires_at=datetime.now(UTC) + timedelta(hours=2))
    second = await backend.ensure_channel(due, url)
    assert second.channel_id != first.channel_id
    # The replaced channel was stopped: closing it again finds nothing, quietly.
    await backend.close_channel(holding, url)
    stopped = await sim.post("/calendar/v3/channels/stop", headers=_bearer(linked),
                             json={"id": first.channel_id, "resourceId": first.resource_id})
    assert stopped.status_code == 404


async def test_a_channel_follows_the_agents_calendar_and_zdcals_address(
    backend: GoogleBackend, linked: Agent, receiver: tuple[Receiver, str],
) -> None:
    """A channel watches one calendar and calls one address; Google cannot list them, so
    the channel's own id says what it was made for."""
    _, url = receiver
    first = await backend.ensure_channel(linked, url)
    holding = _holding(linked, first)

    switched = replace(holding, calendar_id="en.german#holiday@group.v.calendar.google.com")
    assert (await backend.ensure_channel(switched, url)).channel_id != first.channel_id
    moved = await backend.ensure_channel(holding, url.replace("/1002", "/1002/"))
    assert moved.channel_id != first.channel_id
    assert await backend.ensure_channel(holding, url) == first


async def test_closing_stops_the_channel(
    backend: GoogleBackend, linked: Agent, receiver: tuple[Receiver, str],
    sim: httpx.AsyncClient,
) -> None:
    inbox, url = receiver
    holding = _holding(linked, await backend.ensure_channel(linked, url))
    await inbox.wait_for(1)

    await backend.close_channel(holding, url)
    await backend.close_channel(holding, url)  # gone already: done
    await backend.close_channel(linked, url)  # no channel: nothing to do

    await backend.for_agent(linked).apply([upsert(1)])
    await asyncio.sleep(0.2)
    assert len(inbox.deliveries) == 1  # no delivery after the stop


def _holding(agent: Agent, channel: PushChannel) -> Agent:
    """The agent as sync stores them once ``channel`` was made."""
    return replace(agent, channel_id=channel.channel_id,
                   channel_resource_id=channel.resource_id, channel_expires_at=channel.expires_at)


def _bearer(agent: Agent) -> dict[str, str]:
    assert agent.tokens is not None
    return {"Authorization": f"Bearer {agent.tokens.access_token}"}
