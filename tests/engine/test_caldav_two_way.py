"""Two-way with CalDAV agents on real servers: an agent's calendar app moves or deletes a
task's object, a poll reads it, and the same planner decides as with the other backends
(two_way_cases.py: the due date follows, no echo, a deleted event keeps the task off,
Zendesk wins); the worker polls CalDAV agents and not push ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from caldav_world import CalDAVWorld
from two_way_cases import ON_EVERY_TWO_WAY_BACKEND, move, ticket
from world import KENJI, NIA, World, due

from zdcal.jobs.inprocess import Workers
from zdcal.live.services import Services
from zdcal.runtime import Runtime
from zdcal.store import Agent


@pytest.mark.parametrize("case", ON_EVERY_TWO_WAY_BACKEND, ids=lambda case: case.__name__)
def test_two_way_on_caldav(caldav_world: CalDAVWorld, case: Callable[[World], None]) -> None:
    case(caldav_world)


def test_the_worker_polls_caldav_agents_and_not_push_ones(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    # A Cronofy agent of the same account (a plain world on the same simulators and
    # database): their calendar pushes.
    World(world.sandbox, world.settings, world.zd, world.cr).connect(KENJI, "bob")
    task = world.create_task(NIA, due("2030-04-01"), "Moved on the phone")
    world.sync()
    move(world, task, "2030-04-03", "2030-04-04")

    async def serve(runtime: Runtime) -> int:
        services = Services(runtime)
        workers = Workers(services, poll_interval=0.2, tick=0.1, sweep_interval=3600,
                          verify_interval=3600)
        try:
            queued = await workers.queue_polls()
            workers.start()
            deadline = time.monotonic() + 20
            async with httpx.AsyncClient(base_url=world.sandbox.zendesk.base_url,
                                         auth=world.zd.auth) as zd:
                while time.monotonic() < deadline:
                    found = (await zd.get(f"/api/v2/tickets/{task}")).json()["ticket"]
                    if found["due_at"] == due("2030-04-03"):
                        break
                    await asyncio.sleep(0.2)
        finally:
            await workers.stop()
            await services.close()
        return queued

    assert world.run(serve) == 1  # Nia only
    assert ticket(world, task)["due_at"] == due("2030-04-03")
    nia: Agent = world.agent(NIA)
    assert nia.read_state is not None
