"""One scenario per lifecycle case, through real HTTP against both simulators. The cases
that speak only of Zendesk and calendars (:data:`ON_EVERY_BACKEND`) also run with CalDAV
agents on real servers (test_caldav_lifecycle.py)."""

from __future__ import annotations

import pytest
from world import KENJI, LENA, NIA, World, calendar, due

NIA_CAL = calendar("ada")


def nia_cal(world: World) -> str:
    return world.calendar("ada")


def kenji_cal(world: World) -> str:
    return world.calendar("bob")


def test_new_task_appears_once_as_an_all_day_event_on_the_local_due_date(world: World) -> None:
    world.connect(NIA, "ada")  # America/New_York
    # 02:30 UTC on the 9th is still the 8th in New York.
    ticket = world.create_task(NIA, due("2030-03-09", "02:30:00"), "Renew the contract",
                               priority="high")
    report = world.sync()
    events = world.events(nia_cal(world))
    assert len(events) == 1
    (event,) = events.values()
    assert event["summary"] == f"#{ticket} Renew the contract [High]"
    assert (event["start"], event["end"]) == ("2030-03-08", "2030-03-09")
    # The account is connected at the simulator's URL: the link opens its agent page.
    assert event["url"] == f"{world.sandbox.zendesk.base_url}/agent/tickets/{ticket}"
    assert report.events_created == 1
    # Nothing changed: a second sync writes nothing.
    again = world.sync()
    assert again.requests.get(world.backend, 0) == 0
    assert world.events(nia_cal(world)) == events


def test_retyping_to_and_from_task(world: World) -> None:
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, None, "A question", type="question")
    world.sync()
    assert world.events(nia_cal(world)) == {}
    world.update(ticket, type="task", due_at=due("2030-04-01"))
    world.sync()
    assert len(world.events(nia_cal(world))) == 1
    world.update(ticket, type="incident")
    world.sync()
    assert world.events(nia_cal(world)) == {}


def test_due_date_change_moves_the_event(world: World) -> None:
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    world.update(ticket, due_at=due("2030-04-05"))
    report = world.sync()
    (event,) = world.events(nia_cal(world)).values()
    assert event["start"] == "2030-04-05"
    assert report.events_updated == 1


def test_reassign_to_connected_agent_then_to_unconnected_then_unassign(world: World) -> None:
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")  # Asia/Tokyo
    ticket = world.create_task(NIA, due("2030-04-01", "20:00:00"))
    world.sync()
    assert len(world.events(nia_cal(world))) == 1
    world.update(ticket, assignee_id=KENJI)
    world.sync()
    assert world.events(nia_cal(world)) == {}
    (event,) = world.events(kenji_cal(world)).values()
    assert event["start"] == "2030-04-02"  # 20:00 UTC is the next morning in Tokyo
    world.update(ticket, assignee_id=LENA)  # Lena has not connected a calendar
    world.sync()
    assert world.events(kenji_cal(world)) == {}
    world.update(ticket, assignee_id=NIA)
    world.sync()
    assert len(world.events(nia_cal(world))) == 1
    world.update(ticket, assignee_id=None)
    world.sync()
    assert world.events(nia_cal(world)) == {}


def test_solve_close_delete_and_restore(world: World) -> None:
    world.connect(NIA, "ada")
    solved = world.create_task(NIA, due("2030-04-01"), "To solve")
    closed = world.create_task(NIA, due("2030-04-02"), "To close")
    deleted = world.create_task(NIA, due("2030-04-03"), "To delete")
    world.sync()
    assert len(world.events(nia_cal(world))) == 3
    world.update(solved, status="solved")
    world.update(closed, status="solved")
    world.close(closed)
    world.delete(deleted)
    world.sync()
    assert world.events(nia_cal(world)) == {}
    world.restore(deleted)
    world.sync()
    summaries = [e["summary"] for e in world.events(nia_cal(world)).values()]
    assert summaries == [f"#{deleted} To delete"]


def test_agent_switches_calendar_then_disconnects(world: World) -> None:
    world.connect(NIA, "ada")
    world.create_task(NIA, due("2030-04-01"))
    world.create_task(NIA, due("2030-04-02"))
    world.sync()
    assert len(world.events(nia_cal(world))) == 2
    tasks_cal = world.calendar("ada", "tasks")
    world.switch(NIA, tasks_cal)
    assert world.events(nia_cal(world)) == {}
    assert len(world.events(tasks_cal)) == 2
    assert world.disconnect(NIA) == 0
    assert world.events(tasks_cal) == {}
    assert world.agent(NIA).status.value == "disconnected"


def test_a_connecting_agent_gets_existing_open_tasks_without_waiting(world: World) -> None:
    world.create_task(KENJI, due("2030-04-01"))
    world.create_task(KENJI, due("2030-04-02"))
    world.sync()  # Kenji is not connected yet: the mirror keeps his open tasks
    world.connect(KENJI, "bob")
    assert len(world.events(kenji_cal(world))) == 2


def test_revoked_token_marks_agent_then_reconnect_repairs(world: World) -> None:
    world.connect(NIA, "ada")
    first = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    world.cr.post("/_sandbox/accounts/acc_sandbox_ada/revoke").raise_for_status()
    world.update(first, due_at=due("2030-05-01"))
    second = world.create_task(NIA, due("2030-05-02"))
    report = world.sync()
    assert world.agent(NIA).status.value == "needs_reconnect"
    assert report.agents_needing_reconnect == 1
    # The user links another account (a fresh one seeded in the simulator) on the page.
    fresh = world.cr.post("/_sandbox/seed", json={"accounts": [{
        "account_id": "acc_sandbox_ada2", "email": "ada@example.test", "name": "Ada again",
        "default_tzid": "Europe/London",
        "calendars": [{"calendar_id": "cal_ada2", "calendar_name": "Work", "primary": True}],
        "access_token": "ada2-access", "refresh_token": "ada2-refresh"}]})
    fresh.raise_for_status()
    world.connect(NIA, "ada2")
    summaries = sorted(e["summary"].split()[0] for e in world.events("cal_ada2").values())
    assert summaries == sorted([f"#{first}", f"#{second}"])
    assert world.agent(NIA).status.value == "active"


ON_EVERY_BACKEND = (
    test_new_task_appears_once_as_an_all_day_event_on_the_local_due_date,
    test_retyping_to_and_from_task,
    test_due_date_change_moves_the_event,
    test_reassign_to_connected_agent_then_to_unconnected_then_unassign,
    test_solve_close_delete_and_restore,
    test_agent_switches_calendar_then_disconnects,
    test_a_connecting_agent_gets_existing_open_tasks_without_waiting,
)


@pytest.mark.slow
def test_more_than_a_thousand_changes_in_one_sweep(world: World) -> None:
    world.connect(NIA, "ada")
    world.sync()
    response = world.zd.post("/_sandbox/tickets/bulk", json={
        "count": 1200, "type": "task", "status": "open", "assignee_ids": [NIA],
        "due_at_start": due("2030-06-01")})
    response.raise_for_status()
    report = world.sync()
    assert report.tickets_read >= 1200
    assert len(world.events(NIA_CAL)) == 1200
    assert world.expected([NIA_CAL]) == world.all_managed([NIA_CAL])


def test_rate_limits_and_server_errors_are_survived(world: World) -> None:
    world.connect(NIA, "ada")
    for day in range(1, 8):
        world.create_task(NIA, due(f"2030-04-0{day}"))
    world.zendesk_faults(burst_429=2, error_rate=0.2, seed=7)
    world.cronofy_faults(burst_429=2, error_rate=0.2, seed=7)
    world.sync()
    world.zendesk_faults(error_rate=0)
    world.cronofy_faults(error_rate=0)
    for _ in range(3):
        if world.expected([NIA_CAL]) == world.all_managed([NIA_CAL]):
            break
        world.sync()
    assert world.expected([NIA_CAL]) == world.all_managed([NIA_CAL])
    assert len(world.events(NIA_CAL)) == 7
