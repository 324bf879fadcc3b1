"""Lifecycle scenarios of the calendar services zdcal writes to directly, without Cronofy
(run by test_caldav_lifecycle.py, test_google_lifecycle.py and test_ms_lifecycle.py on
their worlds): a private timed task's event; verify repairs a lost event and removes a
stray; a revoked grant marks the agent, and linking the same account again repairs."""

from __future__ import annotations

from typing import Any

from direct_world import DirectWorld
from world import NIA, World, due, same_sync

from zdcal.http.oauth import make_pkce_pair
from zdcal.sync.engine import AccountSync
from zdcal.usecases.calendars import Linked, connect_after_oauth

REDIRECT_URI = "http://127.0.0.1:9/calendar/callback"


def a_private_timed_task_with_two_reminders(world: World) -> dict[str, Any]:
    """Nia's task at 09:00 her time, private, reminded 10 and 60 minutes before: its one
    event as the world shows it, once what every service shows alike is checked."""
    world.connect(NIA, "ada", style={"all_day": False, "local_time": "09:00",
                                     "duration_minutes": 30, "reminders_minutes": [10, 60],
                                     "private": True})
    ticket = world.create_task(NIA, due("2030-04-01"), "Secret subject")
    world.sync()
    (event,) = world.events(world.calendar("ada")).values()
    assert event["event_id"].endswith(f"-{ticket}")
    assert "Secret subject" not in event["summary"]
    assert event["private"]
    # 09:00 in New York on the due date, as the Cronofy event says.
    assert (event["start"], event["end"]) == ("2030-04-01T13:00:00Z", "2030-04-01T13:30:00Z")
    return event


def verify_rewrites_a_lost_event_and_removes_a_stray(world: DirectWorld) -> str:
    """The case; the stray's event id, for what each service shows of it after."""
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    ((event_id, _),) = world.events(world.calendar("ada")).items()
    stray_id = event_id.rsplit("-", 1)[0] + "-999999"  # this account's, recorded nowhere
    world.delete_event(world.calendar("ada"), event_id)  # lost
    world.insert("ada", stray_id, "#999999 Left over", "2030-04-02")
    report = world.sync(verify=True)
    assert report.strays_removed == 1
    assert report.events_rewritten == 1
    assert list(world.events(world.calendar("ada"))) == [event_id]
    assert event_id.endswith(f"-{ticket}")
    return stray_id


def a_revoked_grant_marks_the_agent_and_relinking_repairs(world: DirectWorld) -> None:
    world.connect(NIA, "ada")
    first = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    # The user removes zdcal's access in their account: tokens die, refreshing is
    # refused with invalid_grant.
    world.revoke("ada")
    world.update(first, due_at=due("2030-05-01"))
    second = world.create_task(NIA, due("2030-05-02"))
    report = world.sync()
    assert report.agents_needing_reconnect == 1
    assert world.agent(NIA).status.value == "needs_reconnect"
    # They link the same account again on the agent page (consent page, PKCE).
    broken = world.agent(NIA)

    async def relink(sync: AccountSync) -> Linked:
        backend = sync.calendars.backend(world.backend)  # type: ignore[attr-defined]
        pkce = make_pkce_pair()
        url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
        code = await world.sign_in(url, "ada")
        return await connect_after_oauth(lambda: same_sync(sync), backend, broken, code,
                                         REDIRECT_URI, pkce.verifier)

    linked = world.with_sync(relink)
    assert linked.repaired
    assert linked.agent.status.value == "active"
    starts = {e["summary"].split()[0]: e["start"]
              for e in world.events(world.calendar("ada")).values()}
    assert starts == {f"#{first}": "2030-05-01", f"#{second}": "2030-05-02"}
