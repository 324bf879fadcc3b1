"""The account's due-date reading through the engine: the account's zone as Zendesk says
it (re-read at verify), the choice refused while that zone is unknown, the live example."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from world import KENJI, NIA, World, calendar, open_world

from zdcal.domain import DueDateReading
from zdcal.runtime import Runtime
from zdcal.sandbox.scenario import Scenario
from zdcal.store import Account
from zdcal.sync.due_dates import (
    DueDateChoiceError,
    DueDateExample,
    choose_due_date_reading,
    due_date_example,
)

NIA_CAL = calendar("ada")
# 23:30 on 30 April in Honolulu, 05:30 on 1 May in New York (Nia) and 1 May in Auckland.
DUE = "2030-05-01T09:30:00Z"


@pytest.fixture
def honolulu(tmp_path: Path, empty_database_url: str) -> Iterator[World]:
    scenario = Scenario(settings={"zendesk": {"time_zone": "Pacific/Honolulu"}})
    with open_world(tmp_path, empty_database_url, scenario) as world:
        yield world


def account(world: World) -> Account:
    async def work(runtime: Runtime) -> Account:
        return await world._account(runtime)

    return world.run(work)


def store_reading(world: World, reading: DueDateReading, zone: str | None) -> None:
    async def work(runtime: Runtime) -> None:
        found = await world._account(runtime)
        async with runtime.store.transaction() as tx:
            await tx.accounts.set_time_zone(found.id, zone)
            await tx.accounts.set_due_date_reading(found.id, reading.value)

    world.run(work)


def starts(world: World) -> list[str]:
    return [e["start"] for e in world.events(NIA_CAL).values()]


def test_verify_follows_a_change_of_the_accounts_zone_in_zendesk(honolulu: World) -> None:
    world = honolulu
    world.connect(NIA, "ada")
    world.create_task(NIA, DUE, "Renew")
    # zdcal last read Auckland; Zendesk's admins have since moved the account to Honolulu.
    store_reading(world, DueDateReading.ACCOUNT_ZONE, "Pacific/Auckland")
    world.sync()
    assert starts(world) == ["2030-05-01"]
    world.sync(verify=True)
    assert account(world).time_zone == "Pacific/Honolulu"
    assert starts(world) == ["2030-04-30"]


def test_the_account_zone_reading_waits_for_the_accounts_zone(world: World) -> None:
    found = account(world)
    assert found.time_zone is None  # never read yet

    async def choose(runtime: Runtime) -> None:
        await choose_due_date_reading(runtime.store, found, DueDateReading.ACCOUNT_ZONE)

    with pytest.raises(DueDateChoiceError, match="could not read the account's time zone"):
        world.run(choose)
    assert account(world).due_date_reading == "agent_zone"


def test_the_example_is_an_open_task_read_by_every_rule(honolulu: World) -> None:
    world = honolulu
    store_reading(world, DueDateReading.UTC, "Pacific/Honolulu")

    def example() -> DueDateExample | None:
        async def work(runtime: Runtime) -> DueDateExample | None:
            return await due_date_example(runtime.store, await world._account(runtime))

        return world.run(work)

    assert example() is None
    kenji_task = world.create_task(KENJI, DUE, "Kenji's, who never connected")
    world.sync()
    shown = example()
    assert shown is not None
    assert (shown.ticket_id, shown.agent_name, shown.agent_time_zone) == (
        kenji_task, None, "Pacific/Honolulu"  # an unknown assignee: the account's zone
    )
    assert shown.shown_on == {
        DueDateReading.AGENT_ZONE: date(2030, 4, 30),
        DueDateReading.ACCOUNT_ZONE: date(2030, 4, 30),
        DueDateReading.UTC: date(2030, 5, 1),
    }
    world.connect(NIA, "ada")
    nia_task = world.create_task(NIA, DUE, "Nia's")
    world.sync()
    shown = example()
    assert shown is not None
    assert (shown.ticket_id, shown.agent_name, shown.agent_time_zone) == (
        nia_task, "Nia Agent", "America/New_York"
    )
    assert shown.shown_on[DueDateReading.AGENT_ZONE] == date(2030, 5, 1)
