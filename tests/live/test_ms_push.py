"""Microsoft 365 two-way end to end: zdcal's whole app served on loopback (receivers,
worker) beside the Zendesk and Graph simulators. An agent who connects gets a
subscription, made only once Graph's validation handshake was answered by zdcal's real
receiver; a move in Outlook is notified to ``/webhooks/microsoft/<account key>/<user id>``
and the due date follows in Zendesk within seconds; a forged ``clientState`` is refused;
the lifecycle notifications are acted on (reauthorizationRequired: renewed;
subscriptionRemoved: made again; missed: the changes read); a subscription near its end
is renewed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_support import Live, eventually, queue_empty, served
from microsoft_world import MicrosoftWorld, open_microsoft_world
from world import NIA, due

from zdcal.calendars.microsoft.connector import SUBSCRIPTION_MINUTES
from zdcal.calendars.microsoft.push import client_state
from zdcal.store import Agent


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}"
    with open_microsoft_world(tmp_path, url) as world, served(world) as live:
        yield live


def ms(live: Live) -> MicrosoftWorld:
    assert isinstance(live.world, MicrosoftWorld)
    return live.world


def receiver(live: Live, user_id: int = NIA) -> str:
    return f"/webhooks/microsoft/{live.world.account_key()}/{user_id}"


def subscriptions(world: MicrosoftWorld) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = world.graph.get("/_sandbox/subscriptions"
                                                  ).json()["subscriptions"]
    return found


def deliveries(world: MicrosoftWorld, kind: str) -> list[tuple[str, int | None]]:
    """(url, status) of every delivery attempt of a kind (validation, change, lifecycle)."""
    log = world.graph.get("/_sandbox/notifications").json()["deliveries"]
    return [(d["url"], d["status"]) for d in log if d["kind"] == kind]


def due_at(live: Live, ticket_id: int) -> str:
    return str(live.world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]["due_at"])


def event_id_of(world: MicrosoftWorld, ticket_id: int) -> str | None:
    return next((e for e in world.events(world.calendar("ada"))
                 if e.endswith(f"-{ticket_id}")), None)


def start_of(world: MicrosoftWorld, ticket_id: int) -> str | None:
    event_id = event_id_of(world, ticket_id)
    return world.events(world.calendar("ada"))[event_id]["start"] if event_id else None


def expiry(subscription: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(subscription["expirationDateTime"].replace("Z", "+00:00"))


def assert_subscribed(live: Live, agent: Agent) -> dict[str, Any]:
    """The agent's stored channel is Graph's one live subscription on their calendar,
    notifying their receiver (and its lifecycle path)."""
    world = ms(live)
    (subscription,) = subscriptions(world)
    assert subscription["id"] == agent.channel_id
    assert subscription["resource"] == f"me/calendars/{world.calendar('ada')}/events"
    assert subscription["notificationUrl"] == live.url + receiver(live)
    assert subscription["lifecycleNotificationUrl"] == live.url + receiver(live) + "/lifecycle"
    assert agent.channel_expires_at is not None
    assert abs(agent.channel_expires_at - expiry(subscription)) < timedelta(seconds=1)
    return subscription


def a_task_in_outlook(live: Live, day: str) -> int:
    """A task of Nia's written to her calendar, everything settled."""
    world = ms(live)
    task = world.create_task(NIA, due(day), "Plan the week")
    eventually(lambda: start_of(world, task) == day)  # Zendesk's webhook
    eventually(lambda: queue_empty(live))
    return task


def move(world: MicrosoftWorld, task: int, day: str, next_day: str) -> None:
    event_id = event_id_of(world, task)
    assert event_id is not None
    world.move_event(world.calendar("ada"), event_id, day, next_day)


def lifecycle(world: MicrosoftWorld, subscription_id: str, event: str) -> None:
    world.graph.post(f"/_sandbox/subscriptions/{subscription_id}/lifecycle",
                     json={"lifecycleEvent": event}).raise_for_status()


def test_a_move_in_outlook_reaches_zendesk_through_the_subscription(live: Live) -> None:
    world = ms(live)
    agent = world.connect(NIA, "ada")
    # Graph validated both URLs with zdcal's receiver before making the subscription.
    assert {url: status for url, status in deliveries(world, "validation")} == {
        live.url + receiver(live): 200, live.url + receiver(live) + "/lifecycle": 200}
    subscription = assert_subscribed(live, agent)
    assert world.clock is not None
    assert expiry(subscription) - world.clock.now() > timedelta(minutes=SUBSCRIPTION_MINUTES - 5)
    task = a_task_in_outlook(live, "2030-03-08")
    writes = world.stats()["by_route"].get("POST /v1.0/$batch", 0)
    move(world, task, "2030-03-12", "2030-03-13")
    eventually(lambda: due_at(live, task) == "2030-03-12T16:00:00Z", timeout=10)
    assert (live.url + receiver(live), 202) in deliveries(world, "change")
    # Zendesk's webhook for zdcal's own update comes and goes: nothing is written back.
    eventually(lambda: queue_empty(live))
    assert world.stats()["by_route"].get("POST /v1.0/$batch", 0) == writes
    assert start_of(world, task) == "2030-03-12"


def test_a_forged_client_state_is_refused(live: Live) -> None:
    world = ms(live)
    agent = world.connect(NIA, "ada")
    task = a_task_in_outlook(live, "2030-04-01")
    genuine = {"subscriptionId": agent.channel_id, "changeType": "updated",
               "resource": f"me/events/{task}",
               "clientState": client_state(
                   world.settings.microsoft_client_secret.get_secret_value())}
    with httpx.Client(base_url=live.url, timeout=10) as http:
        for path in (receiver(live), receiver(live) + "/lifecycle"):
            forged = {"value": [{**genuine, "clientState": "not-zdcals-state"}]}
            assert http.post(path, json=forged).status_code == 401
            assert http.post(path, json={"value": [{**genuine, "clientState": None}]}
                             ).status_code == 401
        # Genuine state, but not this agent's subscription.
        other = {"value": [{**genuine, "subscriptionId": "another-subscription"}]}
        assert http.post(receiver(live), json=other).status_code == 403
    assert queue_empty(live)
    assert due_at(live, task) == due("2030-04-01")


def test_lifecycle_notifications_renew_remake_and_read(live: Live) -> None:
    world = ms(live)
    first = world.connect(NIA, "ada")
    task = a_task_in_outlook(live, "2030-04-01")
    # reauthorizationRequired: due now; the worker's renewal keeps the same subscription.
    lifecycle(world, str(first.channel_id), "reauthorizationRequired")
    eventually(lambda: (live.url + receiver(live) + "/lifecycle", 202)
               in deliveries(world, "lifecycle"))
    eventually(lambda: queue_empty(live))
    assert world.with_sync(lambda sync: sync.renew_channels()) == 1
    renewed = world.agent(NIA)
    assert renewed.channel_id == first.channel_id
    assert_subscribed(live, renewed)
    # subscriptionRemoved: Graph ended it; a new one is made.
    lifecycle(world, str(first.channel_id), "subscriptionRemoved")
    eventually(lambda: len(deliveries(world, "lifecycle")) == 2
               and deliveries(world, "lifecycle")[-1][1] == 202)
    eventually(lambda: queue_empty(live))
    assert subscriptions(world) == []
    assert world.with_sync(lambda sync: sync.renew_channels()) == 1
    remade = world.agent(NIA)
    assert remade.channel_id != first.channel_id
    assert_subscribed(live, remade)
    # missed: Graph dropped change notifications; the changes are read anyway. The move
    # is made while nobody listens (the notification is dropped), then "missed" comes.
    changes = len(deliveries(world, "change"))
    world.graph.put("/_sandbox/faults", json={"webhook_drop_rate": 1.0}).raise_for_status()
    move(world, task, "2030-04-09", "2030-04-10")
    world.graph.put("/_sandbox/faults", json={"webhook_drop_rate": 0.0}).raise_for_status()
    assert due_at(live, task) == due("2030-04-01")
    lifecycle(world, str(remade.channel_id), "missed")
    eventually(lambda: due_at(live, task) == due("2030-04-09"), timeout=10)
    assert len(deliveries(world, "change")) == changes, "read because of 'missed' alone"
    # The new subscription carries the user's moves.
    move(world, task, "2030-04-11", "2030-04-12")
    eventually(lambda: due_at(live, task) == due("2030-04-11"), timeout=10)


def test_a_subscription_near_its_end_is_renewed_by_the_worker(live: Live) -> None:
    world = ms(live)
    old = world.connect(NIA, "ada")
    assert world.with_sync(lambda sync: sync.renew_channels()) == 0, "not due yet"
    assert old.channel_expires_at is not None
    # Time passes until half a day is left: the worker's next channel check (its interval
    # has passed too) renews the subscription.
    world.advance((SUBSCRIPTION_MINUTES - 12 * 60) * 60)

    def renewed() -> bool:
        expires = world.agent(NIA).channel_expires_at
        return expires is not None and expires - old.channel_expires_at > timedelta(days=2)

    eventually(renewed, timeout=10)
    new = world.agent(NIA)
    assert new.channel_id == old.channel_id, "renewed (PATCH), not remade"
    assert_subscribed(live, new)
    assert world.with_sync(lambda sync: sync.renew_channels()) == 0
    # Still two-way.
    task = a_task_in_outlook(live, "2030-04-01")
    move(world, task, "2030-04-03", "2030-04-04")
    eventually(lambda: due_at(live, task) == due("2030-04-03"), timeout=10)
