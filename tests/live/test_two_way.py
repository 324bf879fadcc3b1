"""Two-way: moving a task's event in the calendar moves its due date in Zendesk, with no
echo; Zendesk wins conflicts; deleted events keep the task off the calendar."""

from __future__ import annotations

from typing import Any

import pytest
from live_support import Live, eventually, queue_empty
from world import NIA, World, calendar, due

from zdcal.runtime import Runtime

NIA_CAL = calendar("ada")
TIMED = {"all_day": False, "local_time": "09:00", "duration_minutes": 30}


def ticket(world: World, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = world.zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]
    return data


def event_of(world: World, ticket_id: int) -> dict[str, Any] | None:
    return next((e for e in world.events(NIA_CAL).values()
                 if e["summary"].startswith(f"#{ticket_id} ")), None)


def move(world: World, ticket_id: int, start: str, end: str) -> None:
    event = event_of(world, ticket_id)
    assert event is not None
    world.cr.post("/_sandbox/events/change", json={
        "calendar_id": NIA_CAL, "event_id": event["event_id"], "start": start, "end": end,
    }).raise_for_status()


def writes(world: World) -> tuple[int, int]:
    """(calendar writes, Zendesk ticket updates) counted by the simulators."""
    cronofy = world.cr.get("/_sandbox/stats").json()
    zendesk = world.zd.get("/_sandbox/stats").json()
    calendar_writes = sum(n for route, n in cronofy["by_route"].items()
                          if route.startswith(("POST /v1/batch", "POST /v1/calendars")))
    ticket_updates = sum(n for route, n in zendesk["by_route"].items()
                         if route.startswith("PUT /api/v2/tickets"))
    return calendar_writes, ticket_updates


def set_time_zone(world: World, zone: str) -> None:
    agent_id = world.agent(NIA).id

    async def work(runtime: Runtime) -> None:
        async with runtime.store.transaction() as tx:
            await tx.agents.set_time_zone_override(agent_id, zone)

    world.run(work)


def test_moving_an_all_day_event_moves_the_due_date_without_echo(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")  # America/New_York; 17:00Z is noon EST there
    task = world.create_task(NIA, due("2030-03-08", "17:00:00"), "Plan the week")
    eventually(lambda: event_of(world, task) is not None)
    before = writes(world)
    # Moved past the DST change: still noon local, now EDT.
    move(world, task, "2030-03-12", "2030-03-13")
    eventually(lambda: ticket(world, task)["due_at"] == "2030-03-12T16:00:00Z")
    # Give the echo (Zendesk's webhook for our own update) time to come and go.
    eventually(lambda: queue_empty(live), timeout=10)
    after = writes(world)
    assert after[1] - before[1] == 1, "exactly one Zendesk update"
    assert after[0] == before[0], "no calendar write: no echo"
    assert event_of(world, task)["start"] == "2030-03-12"  # type: ignore[index]


@pytest.mark.parametrize(
    ("zone", "due_at", "new_start", "new_end"),
    [
        # Across the spring-forward change in New York.
        ("America/New_York", due("2030-03-08", "14:00:00"),
         "2030-03-11T18:30:00Z", "2030-03-11T19:00:00Z"),
        # UTC-10, moved across midnight UTC.
        ("Pacific/Honolulu", due("2030-05-01", "19:00:00"),
         "2030-05-02T09:30:00Z", "2030-05-02T10:00:00Z"),
        # UTC+13, moved across midnight UTC.
        ("Pacific/Tongatapu", due("2030-05-01", "20:00:00"),
         "2030-05-03T11:45:00Z", "2030-05-03T12:15:00Z"),
    ],
)
def test_moving_a_timed_event_sets_the_exact_time(
    live: Live, zone: str, due_at: str, new_start: str, new_end: str
) -> None:
    world = live.world
    world.connect(NIA, "ada", style=TIMED)  # type: ignore[arg-type]
    set_time_zone(world, zone)
    world.sync(tick=False)
    task = world.create_task(NIA, due_at, "Call")
    eventually(lambda: event_of(world, task) is not None)
    before = writes(world)
    move(world, task, new_start, new_end)
    eventually(lambda: ticket(world, task)["due_at"] == new_start)
    eventually(lambda: queue_empty(live), timeout=10)
    event = event_of(world, task)
    assert event is not None
    assert (event["start"], event["end"]) == (new_start, new_end), "the moved time is kept"
    assert writes(world)[0] == before[0]


def test_zendesk_wins_when_the_ticket_changes_right_after_a_move(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Contested")
    eventually(lambda: event_of(world, task) is not None)
    move(world, task, "2030-04-07", "2030-04-08")
    world.update(task, due_at=due("2030-04-20"))
    eventually(lambda: (event_of(world, task) or {}).get("start") == "2030-04-20")
    eventually(lambda: queue_empty(live), timeout=10)
    assert ticket(world, task)["due_at"] == due("2030-04-20")
    assert event_of(world, task)["start"] == "2030-04-20"  # type: ignore[index]


def test_a_closed_tickets_moved_event_follows_the_rules(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Done already")
    eventually(lambda: event_of(world, task) is not None)
    world.zendesk_faults(webhook_drop_rate=1.0)  # zdcal does not hear of the close
    world.update(task, status="solved")
    world.close(task)
    move(world, task, "2030-04-09", "2030-04-10")
    # Zendesk refuses to change a closed ticket; a closed ticket wants no event.
    eventually(lambda: event_of(world, task) is None)
    assert ticket(world, task)["due_at"] == due("2030-04-01")


def test_a_deleted_event_keeps_the_task_off_until_it_changes(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    task = world.create_task(NIA, due("2030-04-01"), "Not in my calendar")
    eventually(lambda: event_of(world, task) is not None)
    event = event_of(world, task)
    assert event is not None
    world.cr.post("/_sandbox/events/change", json={
        "calendar_id": NIA_CAL, "event_id": event["event_id"], "deleted": True,
    }).raise_for_status()
    eventually(lambda: queue_empty(live), timeout=10)
    world.update(task, subject="Renamed")  # not the date, assignee or type
    world.sync(tick=True)
    assert event_of(world, task) is None
    assert ticket(world, task)["status"] == "open"
    world.update(task, due_at=due("2030-04-02"))
    eventually(lambda: event_of(world, task) is not None)


def test_with_the_switch_off_the_event_is_put_back(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")

    agent_id = world.agent(NIA).id

    async def off(runtime: Runtime) -> None:
        async with runtime.store.transaction() as tx:
            await tx.agents.set_two_way(agent_id, False)

    world.run(off)
    task = world.create_task(NIA, due("2030-04-01"), "One way")
    eventually(lambda: event_of(world, task) is not None)
    move(world, task, "2030-04-05", "2030-04-06")
    eventually(lambda: (event_of(world, task) or {}).get("start") == "2030-04-01"
               and queue_empty(live), timeout=10)
    assert ticket(world, task)["due_at"] == due("2030-04-01")


def test_forged_calendar_notifications_are_refused(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    account = world.with_sync(lambda sync: _key(sync))
    url = f"/webhooks/cronofy/{account}/{NIA}"
    import httpx

    with httpx.Client(base_url=live.url) as http:
        body = b'{"notification": {"type": "change"}}'
        assert http.post(url, content=body).status_code == 401
        assert http.post(url, content=body,
                         headers={"Cronofy-HMAC-SHA256": "AAAA"}).status_code == 401
    assert queue_empty(live)


async def _key(sync: Any) -> str:
    return str(sync.account.key)

