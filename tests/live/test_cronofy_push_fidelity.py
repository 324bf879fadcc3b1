"""zdcal's Cronofy push receiver against what real Cronofy sends, delivered by the simulator:
notification types zdcal does not use are acknowledged (2xx) and change nothing, and a
notification signed by several client secrets (one being rotated) is accepted when one of
the signatures matches ours."""

from __future__ import annotations

from typing import Any

from live_support import Live, eventually, queue_empty
from test_two_way import event_of, move, ticket
from world import NIA, World, due

from zdcal.store import AgentStatus

UNUSED_TYPES = [
    # Documented (zdcal.sandbox.cronofy.assumptions.DOCUMENTED_NOTIFICATION_TYPES) ...
    "profile_initial_sync_completed",
    "conferencing_profile_disconnected",
    "gdpr_requested",
    # ... named in our issue but in no Cronofy source, and one Cronofy may add some day.
    "profile_initial_sync_required",
    "some_future_type",
]


def deliveries(world: World, kind: str) -> list[dict[str, Any]]:
    log = world.cr.get("/_sandbox/notifications").json()["deliveries"]
    return [d for d in log if d["type"] == kind]


def test_notification_types_zdcal_does_not_use_are_acknowledged_and_ignored(
    live: Live,
) -> None:
    world = live.world
    world.connect(NIA, "ada")
    eventually(lambda: [d["status"] for d in deliveries(world, "verification")] == [200])
    for kind in UNUSED_TYPES:
        sent = world.cr.post("/_sandbox/accounts/acc_sandbox_ada/notify", json={"type": kind})
        assert sent.json() == {"channels": 1}
    eventually(lambda: all(deliveries(world, kind) for kind in UNUSED_TYPES))
    for kind in UNUSED_TYPES:
        assert [d["status"] for d in deliveries(world, kind)] == [200], kind
    assert world.agent(NIA).status is AgentStatus.ACTIVE
    assert queue_empty(live)  # no calendar read was queued for them


def test_a_notification_signed_by_two_secrets_is_accepted_when_one_matches(live: Live) -> None:
    world = live.world
    # Cronofy signs with every active client secret while one is being rotated.
    world.cr.put(
        "/_sandbox/behaviour", json={"additional_client_secrets": ["secret-being-retired"]}
    ).raise_for_status()
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    eventually(lambda: event_of(world, task) is not None)
    move(world, task, "2030-03-12", "2030-03-13")
    eventually(lambda: ticket(world, task)["due_at"] == "2030-03-12T16:00:00Z")
    assert [d["status"] for d in deliveries(world, "change")] == [202]
