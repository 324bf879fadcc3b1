"""SIGTERM on a running ``zdcal serve``: the process stops promptly and no notification it
accepted is lost — each is either applied to the calendar or still queued."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from live_support import bootstrap, eventually, serve_process
from world import NIA, World, calendar, due, open_world

from zdcal.runtime import Runtime
from zdcal_testing import free_port

NIA_CAL = calendar("ada")


@pytest.mark.slow
def test_sigterm_loses_no_accepted_notification(tmp_path: Path) -> None:
    with open_world(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zdcal.db'}") as world:
        world.connect(NIA, "ada")
        world.sync()  # backfill done: the server's first sweep has nothing to catch up
        port = free_port()
        process = serve_process(world, port)
        try:
            bootstrap(world, f"http://127.0.0.1:{port}")
            world.cronofy_faults(latency_ms=150)  # writes are slow: some are in flight
            # Tickets keep changing while the server is told to stop.
            creator = threading.Thread(target=lambda: [
                world.create_task(NIA, due(f"2030-08-{d:02d}")) for d in range(1, 29)
            ])
            creator.start()
            eventually(lambda: len(_accepted(world)) >= 8, timeout=30)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal: exit by SIGTERM,
            # which service managers count as a clean stop.
            assert process.wait(timeout=40) in (0, -signal.SIGTERM)
            stopped_in = time.monotonic() - started
            creator.join()
        finally:
            if process.poll() is None:
                process.kill()
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "Traceback" not in stderr
        assert stopped_in < 35
        world.cronofy_faults(latency_ms=0)
        shown = {e["summary"].split()[0] for e in world.events(NIA_CAL).values()}

        async def queued(runtime: Runtime) -> set[int]:
            account = await world._account(runtime)
            async with runtime.store.transaction() as tx:
                return set((await tx.notifications.take(account.id)).ticket_ids)

        waiting = world.run(queued)
        accepted = _accepted(world)
        assert accepted
        for ticket in accepted:
            assert f"#{ticket}" in shown or ticket in waiting, f"ticket {ticket} was lost"


def _accepted(world: World) -> set[int]:
    """Tickets whose webhook zdcal answered with a 2xx (the simulator's delivery log)."""
    log = world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    return {int(d["ticket_id"]) for d in log if d["final_status"] == "delivered"}
