"""End to end: Zendesk's triggers fire real signed webhooks at ``zdcal serve``; every
lifecycle case reaches the calendar without a manual sync."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import httpx
from live_support import Live, eventually, serve
from world import KENJI, NIA, World, calendar, due

from zdcal.runtime import Runtime

NIA_CAL, KENJI_CAL = calendar("ada"), calendar("bob")
COLLECT_WINDOW = 0.1  # live_support.serve's


def test_lifecycle_reaches_the_calendar_through_webhooks(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    ticket = world.create_task(NIA, due("2030-04-01"), "Webhook task")
    eventually(lambda: len(world.events(NIA_CAL)) == 1)
    world.update(ticket, due_at=due("2030-04-09"))
    eventually(lambda: [e["start"] for e in world.events(NIA_CAL).values()] == ["2030-04-09"])
    world.update(ticket, assignee_id=KENJI)
    eventually(lambda: not world.events(NIA_CAL) and len(world.events(KENJI_CAL)) == 1)
    world.update(ticket, type="question")
    eventually(lambda: not world.events(KENJI_CAL))
    world.update(ticket, type="task", due_at=due("2030-04-10"))
    eventually(lambda: len(world.events(KENJI_CAL)) == 1)
    world.update(ticket, status="solved")
    eventually(lambda: not world.events(KENJI_CAL))
    world.update(ticket, status="open")
    eventually(lambda: len(world.events(KENJI_CAL)) == 1)
    world.update(ticket, status="solved")
    world.close(ticket)
    eventually(lambda: not world.events(KENJI_CAL))
    deliveries = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    assert deliveries
    assert all(d["final_status"] == "delivered" for d in deliveries)


def test_deleted_tickets_are_caught_by_the_sweep(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    eventually(lambda: len(world.events(NIA_CAL)) == 1)
    live.server.stop()
    # Deletion fires no trigger: only the incremental export shows it.
    world.delete(ticket)
    world.advance_zendesk(61)
    live.server = serve(world, sweep_interval=1.0).start()
    eventually(lambda: not world.events(NIA_CAL), timeout=20)


def test_converges_when_zdcal_was_down_while_tickets_changed(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    kept = world.create_task(NIA, due("2030-04-01"), "Kept")
    eventually(lambda: len(world.events(NIA_CAL)) == 1)
    live.server.stop()
    world.update(kept, due_at=due("2030-04-20"))
    created = [world.create_task(NIA, due(f"2030-05-0{d}"), f"While down {d}") for d in (1, 2, 3)]
    world.advance_zendesk(61)
    live.server = serve(world, sweep_interval=1.0).start()
    eventually(lambda: world.all_managed([NIA_CAL]) == world.expected([NIA_CAL]), timeout=20)
    assert len(world.events(NIA_CAL)) == 1 + len(created)


def test_delivery_faults_converge_within_one_sweep_interval(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    world.zendesk_faults(webhook_drop_rate=0.3, webhook_duplicate_rate=0.3,
                         webhook_delay_ms=800, seed=11)
    tickets = [world.create_task(NIA, due(f"2030-06-{d:02d}")) for d in range(1, 16)]
    for index, ticket in enumerate(tickets):
        if index % 3 == 0:
            world.update(ticket, assignee_id=KENJI)
        elif index % 3 == 1:
            world.update(ticket, due_at=due("2030-07-01"))
        else:
            world.update(ticket, status="solved")
    live.server.stop()
    world.advance_zendesk(61)
    live.server = serve(world, sweep_interval=2.0).start()
    cals = [NIA_CAL, KENJI_CAL]
    eventually(lambda: world.all_managed(cals) == world.expected(cals), timeout=10)
    log = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    statuses = {d["final_status"] for d in log}
    assert "dropped" in statuses


def test_a_replay_flood_costs_at_most_one_zendesk_read_per_window(live: Live) -> None:
    """Copies of one genuine signed delivery: without an invocation id they are accepted
    once; with made-up ids (the header is not signed) they are accepted, but the worker
    re-reads their ticket at most once per collect window."""
    world = live.world
    world.connect(NIA, "ada")
    world.create_task(NIA, due("2030-04-01"), "Replayed")
    eventually(lambda: len(world.events(NIA_CAL)) == 1)
    delivery = world.zd.get("/_sandbox/deliveries").json()["deliveries"][-1]

    async def receiver(runtime: Runtime) -> tuple[str, str]:
        account = await world._account(runtime)
        assert account.webhook is not None
        return account.webhook.signing_secrets[0], account.webhook.bearer_token

    secret, token = world.run(receiver)
    body = delivery["body"].encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(
        hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()).decode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "X-Zendesk-Webhook-Signature": signature,
               "X-Zendesk-Webhook-Signature-Timestamp": stamp}
    eventually(lambda: _show_many(live) > 0 and _queue_empty(live))
    reads_before = _show_many(live)
    started = time.monotonic()
    with httpx.Client(base_url=live.url, timeout=10) as http:
        plain = [http.post(delivery_path(world), content=body, headers=headers).status_code
                 for _ in range(100)]
        made_up = [
            http.post(delivery_path(world), content=body, headers={
                **headers, "X-Zendesk-Webhook-Invocation-Id": f"01HREPLAY{n:017d}"}
            ).status_code
            for n in range(300)
        ]
    eventually(lambda: _queue_empty(live))
    flood_seconds = time.monotonic() - started
    # (The first plain copy is a duplicate too if it shares the genuine one's second.)
    assert plain.count(202) <= 1
    assert set(made_up) == {202}
    windows = flood_seconds / COLLECT_WINDOW
    assert _show_many(live) - reads_before <= windows + 2, (flood_seconds, _show_many(live))


def delivery_path(world: World) -> str:
    async def key(runtime: Runtime) -> str:
        return (await world._account(runtime)).key

    return f"/webhooks/zendesk/{world.run(key)}"


def _show_many(live: Live) -> int:
    by_route: dict[str, int] = live.world.zd.get("/_sandbox/stats").json()["by_route"]
    return sum(n for route, n in by_route.items() if "show_many" in route)


def _queue_empty(live: Live) -> bool:
    async def depth(runtime: Runtime) -> bool:
        async with runtime.store.transaction() as tx:
            return await tx.notifications.depth() == 0

    return live.world.run(depth)
