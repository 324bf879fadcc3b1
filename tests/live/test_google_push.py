"""Google Calendar two-way end to end: zdcal's whole app served on loopback (receivers,
worker) beside the Zendesk and Google simulators. An agent who connects gets a watch
channel; a move in Google Calendar is pushed (``X-Goog-*`` headers, no body) to
``/webhooks/google/<account key>/<user id>`` and the due date follows in Zendesk within
seconds; deliveries without the channel's token are refused; a channel near its expiry
is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from google_world import GoogleWorld, open_google_world
from live_support import Live, eventually, queue_empty, served
from world import NIA, due

from zdcal.calendars.google.push import channel_token
from zdcal.store import Agent

WEEK = timedelta(days=7)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
    with open_google_world(tmp_path, url) as world, served(world) as live:
        yield live


def google(live: Live) -> GoogleWorld:
    assert isinstance(live.world, GoogleWorld)
    return live.world


def receiver(live: Live, user_id: int = NIA) -> str:
    return f"/webhooks/google/{live.world.account_key()}/{user_id}"


def channels(world: GoogleWorld) -> list[dict[str, Any]]:
    """The simulator's live channels."""
    found: list[dict[str, Any]] = world.google.get("/_sandbox/channels").json()["channels"]
    return found


def deliveries(world: GoogleWorld, channel_id: str) -> list[tuple[str, str, int | None]]:
    """(state, outcome, status) of every delivery attempt to a channel."""
    log = world.google.get("/_sandbox/notifications").json()["deliveries"]
    return [(d["state"], d["outcome"], d["status"]) for d in log if d["channel_id"] == channel_id]


def due_at(live: Live, ticket_id: int) -> str:
    ticket = live.world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    return str(ticket["due_at"])


def start_of(world: GoogleWorld, ticket_id: int) -> str | None:
    return next((e["start"] for e in world.events(world.calendar("ada")).values()
                 if e["event_id"].endswith(f"-{ticket_id}")), None)


def calendar_writes(world: GoogleWorld) -> int:
    stats = world.stats()["by_route"]
    return sum(n for route, n in stats.items() if route.startswith(("POST /batch", "PUT ")))


def assert_watched(live: Live, agent: Agent) -> dict[str, Any]:
    """The agent's stored channel is the simulator's live channel on their calendar,
    calling their receiver; the channel as the simulator shows it."""
    world = google(live)
    (channel,) = channels(world)
    assert channel["id"] == agent.channel_id
    assert channel["resourceId"] == agent.channel_resource_id
    assert channel["calendarId"] == world.calendar("ada")
    assert channel["address"] == live.url + receiver(live)
    expiration = datetime.fromisoformat(channel["expiration"].replace("Z", "+00:00"))
    assert agent.channel_expires_at is not None
    assert abs(agent.channel_expires_at - expiration) < timedelta(seconds=1)
    return channel


def test_a_move_in_google_calendar_reaches_zendesk_through_the_channel(live: Live) -> None:
    world = google(live)
    agent = world.connect(NIA, "ada")  # America/New_York; 17:00Z is noon EST there
    assert_watched(live, agent)
    assert agent.channel_expires_at is not None
    assert agent.channel_expires_at - datetime.now(UTC) > WEEK - timedelta(minutes=5)
    # Google's first delivery on a new channel ("sync") is acknowledged.
    eventually(lambda: ("sync", "delivered", 200) in deliveries(world, str(agent.channel_id)))
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    eventually(lambda: start_of(world, task) == "2030-03-08")  # Zendesk's webhook
    eventually(lambda: queue_empty(live))
    writes = calendar_writes(world)
    world.move_event(world.calendar("ada"), _event_id(world, task), "2030-03-12", "2030-03-13")
    eventually(lambda: due_at(live, task) == "2030-03-12T16:00:00Z", timeout=10)
    assert ("exists", "delivered", 202) in deliveries(world, str(agent.channel_id))
    # Zendesk's webhook for zdcal's own update comes and goes: nothing is written back.
    eventually(lambda: queue_empty(live))
    assert calendar_writes(world) == writes
    assert start_of(world, task) == "2030-03-12"


def test_deliveries_without_the_channels_token_are_refused(live: Live) -> None:
    world = google(live)
    agent = world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Left alone")
    eventually(lambda: start_of(world, task) == "2030-04-01")
    eventually(lambda: queue_empty(live))
    headers = {"X-Goog-Channel-ID": str(agent.channel_id), "X-Goog-Resource-State": "exists",
               "X-Goog-Resource-ID": str(agent.channel_resource_id),
               "X-Goog-Message-Number": "2"}
    with httpx.Client(base_url=live.url, timeout=10) as http:
        assert http.post(receiver(live), headers=headers).status_code == 401
        forged = {**headers, "X-Goog-Channel-Token": "bm90IHRoZSB0b2tlbg"}
        assert http.post(receiver(live), headers=forged).status_code == 401
        # Another channel's genuine token does not name this agent's channel.
        other = channels(world)[0]["id"].replace(str(agent.channel_id)[:8], "0" * 8)
        assert other != agent.channel_id
        assert http.post(receiver(live), headers={
            **headers, "X-Goog-Channel-ID": other,
            "X-Goog-Channel-Token": _token(live, other)}).status_code == 403
    assert queue_empty(live)
    assert due_at(live, task) == due("2030-04-01")


def test_a_channel_near_its_expiry_is_replaced(live: Live) -> None:
    world = google(live)
    # Google's clock half a day short of a week behind: the channel made now expires in
    # twelve hours (renewal is due a day ahead).
    world.google.post("/_sandbox/clock", json={"offset_seconds": -(WEEK.total_seconds()
                                                                  - 12 * 3600)})
    old = world.connect(NIA, "ada")
    assert_watched(live, old)
    assert old.channel_expires_at is not None
    assert old.channel_expires_at - datetime.now(UTC) < timedelta(days=1)
    world.google.post("/_sandbox/clock", json={"offset_seconds": 0}).raise_for_status()
    # What the worker's channel check does (every ZDCAL_CHANNEL_RENEWAL_SECONDS).
    assert world.with_sync(lambda sync: sync.renew_channels()) == 1
    new = world.agent(NIA)
    assert new.channel_id != old.channel_id
    assert new.channel_expires_at is not None
    assert new.channel_expires_at - datetime.now(UTC) > WEEK - timedelta(minutes=5)
    assert_watched(live, new)  # the old one was stopped
    assert world.with_sync(lambda sync: sync.renew_channels()) == 0
    # The new channel carries the user's moves.
    task = world.create_task(NIA, due("2030-04-01", "17:00:00"), "Still two-way")
    eventually(lambda: start_of(world, task) == "2030-04-01")
    eventually(lambda: queue_empty(live))
    world.move_event(world.calendar("ada"), _event_id(world, task), "2030-04-03", "2030-04-04")
    eventually(lambda: due_at(live, task) == "2030-04-03T17:00:00Z", timeout=10)
    assert ("exists", "delivered", 202) in deliveries(world, str(new.channel_id))
    assert deliveries(world, str(old.channel_id)) == [("sync", "delivered", 200)]


def _event_id(world: GoogleWorld, ticket_id: int) -> str:
    return next(e["event_id"] for e in world.events(world.calendar("ada")).values()
                if e["event_id"].endswith(f"-{ticket_id}"))


def _token(live: Live, channel_id: str) -> str:
    """The token zdcal would have given ``channel_id`` (zdcal's rule, from its secret)."""
    return channel_token(live.world.settings.google_client_secret.get_secret_value(),
                         channel_id)
