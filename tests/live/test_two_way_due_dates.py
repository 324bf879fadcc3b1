"""Two-way under the date-only due-date readings: a move writes back a due_at that the
account's reading gives back as the new day, keeping the UI's time of day."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import Live, eventually, live_world, queue_empty
from test_two_way import NIA_CAL, TIMED, event_of, move, set_time_zone, ticket, writes
from world import NIA, World

from zdcal.domain import DueDateReading
from zdcal.sandbox.scenario import Scenario
from zdcal.sync.due_dates import choose_due_date_reading, refresh_account_time_zone
from zdcal.sync.engine import AccountSync


@pytest.fixture
def honolulu_live(tmp_path: Path) -> Iterator[Live]:
    """A live world whose Zendesk account lives in Honolulu (UTC-10)."""
    scenario = Scenario(settings={"zendesk": {"time_zone": "Pacific/Honolulu"}})
    with live_world(tmp_path, scenario) as live:
        yield live


def read_due_dates(world: World, reading: DueDateReading) -> None:
    """What the admin page's form does: read the zone, store the choice, re-plan Nia."""

    async def work(sync: AccountSync) -> None:
        account = await refresh_account_time_zone(sync.store, sync.account, sync.zendesk)
        await choose_due_date_reading(sync.store, account, reading)

    world.with_sync(work)
    world.with_sync(lambda sync: sync.sync_agent(NIA))


def test_an_all_day_move_keeps_noon_utc_under_the_utc_reading(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    set_time_zone(world, "Pacific/Auckland")  # UTC+12 in May: noon UTC is already the 2nd
    read_due_dates(world, DueDateReading.UTC)
    task = world.create_task(NIA, "2030-05-01T12:00:00Z", "Renewal")
    eventually(lambda: (event_of(world, task) or {}).get("start") == "2030-05-01")
    before = writes(world)
    move(world, task, "2030-05-07", "2030-05-08")
    eventually(lambda: ticket(world, task)["due_at"] == "2030-05-07T12:00:00Z")
    eventually(lambda: queue_empty(live), timeout=10)
    after = writes(world)
    assert after[1] - before[1] == 1, "exactly one Zendesk update"
    assert after[0] == before[0], "no calendar write: no echo"
    assert event_of(world, task)["start"] == "2030-05-07"  # type: ignore[index]


def test_a_timed_move_changes_only_the_date_under_the_account_zone_reading(
    honolulu_live: Live,
) -> None:
    world = honolulu_live.world
    world.connect(NIA, "ada", style=TIMED)  # type: ignore[arg-type]
    set_time_zone(world, "Pacific/Auckland")
    read_due_dates(world, DueDateReading.ACCOUNT_ZONE)
    # Noon on 1 May in Honolulu; Nia's 09:00 on 1 May in Auckland (UTC+12) is 21:00Z on 30 April.
    task = world.create_task(NIA, "2030-05-01T22:00:00Z", "Call")
    eventually(lambda: (event_of(world, task) or {}).get("start") == "2030-04-30T21:00:00Z")
    # Dropped at 15:45 on 6 May in Auckland: due 6 May, still noon in Honolulu.
    move(world, task, "2030-05-06T03:45:00Z", "2030-05-06T04:15:00Z")
    eventually(lambda: ticket(world, task)["due_at"] == "2030-05-06T22:00:00Z")
    # The event goes to Nia's own time of day on the new date.
    eventually(lambda: (event_of(world, task) or {}).get("start") == "2030-05-05T21:00:00Z")
    eventually(lambda: queue_empty(honolulu_live), timeout=10)
    event = world.events(NIA_CAL)[event_of(world, task)["event_id"]]  # type: ignore[index]
    assert (event["start"], event["end"]) == ("2030-05-05T21:00:00Z", "2030-05-05T21:30:00Z")
