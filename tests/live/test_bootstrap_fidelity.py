"""Bootstrap and status against Zendesk as recorded: PUT replaces a webhook whole, and
lists come a page at a time (accounts with hundreds of triggers and webhooks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_support import Live, eventually, serve
from world import NIA, World, due, open_world

from zdcal.sandbox.scenario import Scenario

DECOYS = 150  # per kind, before and after zdcal's own objects: 300 of each in all


def webhook_of(world: World) -> dict[str, Any]:
    (webhook,) = [
        w for w in world.zd.get("/_sandbox/state").json()["webhooks"] if "[zdcal " in w["name"]
    ]
    return dict(webhook)


def deliveries_for(world: World, ticket_id: int) -> list[dict[str, Any]]:
    log = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    return [d for d in log if d["ticket_id"] == ticket_id and d["final_status"] != "pending"]


def test_repair_puts_back_the_bearer_token_a_partial_put_dropped(live: Live) -> None:
    world = live.world
    webhook = webhook_of(world)
    assert webhook["authentication"]["type"] == "bearer_token"
    partial = {key: webhook[key] for key in ("name", "endpoint", "http_method",
                                             "request_format", "status")}
    response = world.zd.put(f"/api/v2/webhooks/{webhook['id']}", json={"webhook": partial})
    assert response.status_code == 204
    assert "authentication" not in webhook_of(world)  # the token is gone in Zendesk
    lost = world.create_task(NIA, due("2030-04-01"), "Sent without the token")
    eventually(lambda: len(deliveries_for(world, lost)) == 1)
    (refused,) = deliveries_for(world, lost)
    assert refused["attempts"][-1]["status"] == 401  # zdcal refuses it: no bearer token

    result = live.bootstrap()
    assert result.repaired == ["webhook", "trigger"]
    assert webhook_of(world)["authentication"]["type"] == "bearer_token"
    kept = world.create_task(NIA, due("2030-04-02"), "Sent with the token again")
    eventually(lambda: len(deliveries_for(world, kept)) == 1)
    assert deliveries_for(world, kept)[0]["final_status"] == "delivered"


def add_decoys(world: World, count: int, start: int) -> None:
    """Other people's webhooks and triggers, inactive so they deliver nothing."""
    for n in range(start, start + count):
        body = {"webhook": {"name": f"Other integration {n}", "status": "inactive",
                            "endpoint": f"https://other.example/{n}", "http_method": "POST",
                            "request_format": "json"}}
        created = world.zd.post("/api/v2/webhooks", json=body)
        assert created.status_code == 201, created.text
        trigger = {"trigger": {
            "title": f"Other rule {n}", "active": False,
            "conditions": {"all": [{"field": "update_type", "operator": "is",
                                    "value": "Create"}], "any": []},
            "actions": [{"field": "notification_webhook",
                         "value": [created.json()["webhook"]["id"], "{}"]}],
        }}
        made = world.zd.post("/api/v2/triggers", json=trigger)
        assert made.status_code == 201, made.text


@pytest.fixture
def crowded(tmp_path: Path) -> Iterator[Live]:
    """A live world whose Zendesk account holds hundreds of triggers and webhooks."""
    # The simulator's default limits stand, except the webhooks budget: 600 decoy
    # requests in a test would otherwise wait minutes on it.
    scenario = Scenario(settings={"zendesk": {"webhooks_requests_per_minute": 10_000}})
    with open_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}",
                    scenario) as world:
        add_decoys(world, DECOYS, 0)
        server = serve(world).start()
        live = Live(world, server)
        try:
            live.bootstrap()
            add_decoys(world, DECOYS, DECOYS)
            yield live
        finally:
            server.stop()


def test_bootstrap_and_status_find_zdcal_among_hundreds(crowded: Live) -> None:
    from zdcal.cli.status import zendesk_health
    from zdcal.runtime import Runtime

    world = crowded.world
    state = world.zd.get("/_sandbox/state").json()
    assert len(state["webhooks"]) == len(state["triggers"]) == 2 * DECOYS + 1
    first = world.zd.get("/api/v2/triggers", params={"page[size]": 100}).json()
    assert first["meta"]["has_more"] is True  # the lists really come in pages

    async def forget_ids(runtime: Runtime) -> None:
        account = await world._account(runtime)
        async with runtime.store.transaction() as tx:
            await tx.accounts.set_trigger(account.id, None)
            await tx.accounts.set_webhook(account.id, None)

    async def health(runtime: Runtime) -> tuple[str, str]:
        return await zendesk_health(runtime, await world._account(runtime))

    webhook, trigger = world.run(health)
    assert webhook.endswith(" active")
    assert trigger.endswith(" active")
    world.run(forget_ids)
    webhook, trigger = world.run(health)
    assert "found by name" in webhook
    assert "found by name" in trigger
    result = crowded.bootstrap()
    assert result.created == []
    assert sorted(result.repaired) == ["trigger", "webhook"]
    after = world.zd.get("/_sandbox/state").json()
    assert len(after["webhooks"]) == len(after["triggers"]) == 2 * DECOYS + 1
    webhook, trigger = world.run(health)
    assert webhook.endswith(" active")
    assert "found by name" not in webhook
    assert trigger.endswith(" active")
    assert "found by name" not in trigger
