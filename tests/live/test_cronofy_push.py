"""Calendar push notifications are bound to the agent in the path and are only hints.

One client secret signs every account's notifications and the signature covers the
body only: a captured genuine notification can be posted to any agent's path, or
replayed to its own. Neither may change an agent's state; a real disconnection still does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
from live_support import Live, eventually
from world import KENJI, NIA, World

from zdcal.store import AgentStatus


def signed(world: World, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The payload as Cronofy sends it: signed with the application's client secret."""
    body = json.dumps(payload).encode()
    secret = world.settings.cronofy_client_secret.get_secret_value()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, {"Content-Type": "application/json",
                  "Cronofy-HMAC-SHA256": base64.b64encode(digest).decode()}


def push_path(world: World, user_id: int) -> str:
    return f"/webhooks/cronofy/{world.account_key()}/{user_id}"


def calendar_reads(world: World) -> int:
    """How often the Cronofy simulator was asked for an account's calendars."""
    by_route: dict[str, int] = world.cr.get("/_sandbox/stats").json()["by_route"]
    return by_route.get("GET /v1/calendars", 0)


def delivered(world: World, kind: str) -> list[dict[str, Any]]:
    """Bodies of the notifications of ``kind`` the simulator delivered."""
    log = world.cr.get("/_sandbox/notifications").json()["deliveries"]
    return [d["body"] for d in log if d["type"] == kind and d["outcome"] == "delivered"]


def test_a_captured_disconnection_cannot_disconnect_another_agent(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    # Ada's calendar account really is disconnected: Cronofy tells Nia's channel.
    world.cr.post("/_sandbox/accounts/acc_sandbox_ada/lock").raise_for_status()
    eventually(lambda: world.agent(NIA).status is AgentStatus.NEEDS_RECONNECT)
    captured = delivered(world, "profile_disconnected")[0]
    body, headers = signed(world, captured)
    with httpx.Client(base_url=live.url, timeout=10) as http:
        replayed = http.post(push_path(world, KENJI), content=body, headers=headers)
    assert replayed.status_code == 403
    assert world.agent(KENJI).status is AgentStatus.ACTIVE


def test_replayed_disconnections_are_checked_with_the_calendar_once(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    nia = world.agent(NIA)
    assert nia.channel_id is not None
    # Exactly what Cronofy sends Nia's channel when her account is disconnected; but
    # her calendar account is fine.
    body, headers = signed(world, {
        "notification": {"type": "profile_disconnected"},
        "channel": {"channel_id": nia.channel_id,
                    "callback_url": f"{live.url}{push_path(world, NIA)}",
                    "filters": {"only_managed": True}},
    })
    reads_before = calendar_reads(world)
    with httpx.Client(base_url=live.url, timeout=10) as http:
        answers = {http.post(push_path(world, NIA), content=body, headers=headers).status_code
                   for _ in range(20)}
    assert answers == {200}
    assert world.agent(NIA).status is AgentStatus.ACTIVE
    assert calendar_reads(world) - reads_before == 1, "one read decided, the rest cost none"


def test_a_change_notification_of_another_channel_is_refused(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    kenji = world.agent(KENJI)
    body, headers = signed(world, {
        "notification": {"type": "change", "changes_since": "2030-01-01T00:00:00Z"},
        "channel": {"channel_id": kenji.channel_id,
                    "callback_url": f"{live.url}{push_path(world, KENJI)}"},
    })
    with httpx.Client(base_url=live.url, timeout=10) as http:
        assert http.post(push_path(world, NIA), content=body,
                         headers=headers).status_code == 403
        assert http.post(push_path(world, KENJI), content=body,
                         headers=headers).status_code == 202
