"""zdcal's receiver with deliveries shaped as real Zendesk sends them (recorded):
``Content-Type: application/json; charset=utf-8`` and ULID invocation ids."""

from __future__ import annotations

import re
from typing import Any

from live_support import Live, eventually
from world import NIA, due

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def test_ulid_invocations_are_accepted_once_and_their_copies_recognised(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.zendesk_faults(webhook_duplicate_rate=1.0, seed=3)
    ticket = world.create_task(NIA, due("2030-04-01"), "Delivered twice")

    def copies() -> list[dict[str, Any]]:
        log = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
        return [d for d in log if d["ticket_id"] == ticket and d["final_status"] != "pending"]

    eventually(lambda: len(copies()) == 2)
    first, second = sorted(copies(), key=lambda d: int(d["copy"]))
    assert first["invocation_id"] == second["invocation_id"]
    assert ULID.match(str(first["invocation_id"]))
    statuses = sorted(d["attempts"][-1]["status"] for d in (first, second))
    assert statuses == [200, 202]  # accepted once, the copy recognised as a duplicate
