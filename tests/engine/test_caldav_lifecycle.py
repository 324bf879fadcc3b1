"""The lifecycle scenarios (test_lifecycle.py) with CalDAV agents on real servers
(Radicale over HTTP, Xandikos over TLS): the same cases, the same assertions, read back
from the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from caldav_world import CalDAVWorld
from direct_lifecycle_cases import a_private_timed_task_with_two_reminders
from test_lifecycle import ON_EVERY_BACKEND
from world import NIA, World, due, same_sync

from zdcal.calendars.caldav.ical import task_ics
from zdcal.runtime import Runtime
from zdcal.store import CalDAVAccount
from zdcal.sync.engine import AccountSync
from zdcal.usecases.calendars import Linked, connect_after_credentials


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_caldav(caldav_world: CalDAVWorld, case: Callable[[World], None]) -> None:
    case(caldav_world)


def test_each_task_is_one_object_named_by_its_event_id(caldav_world: CalDAVWorld) -> None:
    event = a_private_timed_task_with_two_reminders(caldav_world)
    assert event["href"] == f"{caldav_world.calendar('ada')}{event['event_id']}.ics"
    assert event["alarms"] == 2


def test_verify_rewrites_a_lost_event_and_removes_a_stray(caldav_world: CalDAVWorld) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    ((event_id, event),) = world.events(world.calendar("ada")).items()
    stray_id = event_id.rsplit("-", 1)[0] + "-999999"  # this account's, recorded nowhere
    stray = {"event_id": stray_id, "summary": "#999999 Left over", "start": "2030-04-02",
             "end": "2030-04-03"}
    with world.dav.http() as http:
        assert http.delete(event["href"]).status_code in (200, 204)  # lost
        response = http.put(f"{world.calendar('ada')}{stray_id}.ics",
                            headers={"Content-Type": "text/calendar"},
                            content=task_ics(stray, stamp=datetime.now(UTC)))
        assert response.status_code == 201, response.text
    report = world.sync(verify=True)
    assert report.strays_removed == 1
    assert list(world.events(world.calendar("ada"))) == [event_id]
    assert event_id.endswith(f"-{ticket}")


def test_a_refused_password_marks_the_agent_and_reconnecting_repairs(
    caldav_world: CalDAVWorld,
) -> None:
    world = caldav_world
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    agent = world.agent(NIA)
    home = world.dav.calendar_home_url
    revoked = CalDAVAccount(home, world.dav.username, "revoked app password")

    async def revoke(runtime: Runtime) -> None:
        async with runtime.store.transaction() as tx:
            await tx.agents.connect(agent.id, calendar_account_id=home, data_center="",
                                    tokens=revoked, calendar_backend="caldav")

    world.run(revoke)
    world.update(ticket, due_at=due("2030-04-05"))
    report = world.sync()
    assert report.agents_needing_reconnect == 1
    assert world.agent(NIA).status.value == "needs_reconnect"

    broken = world.agent(NIA)

    async def reconnect(sync: AccountSync) -> Linked:
        backend = sync.calendars.of(broken)  # type: ignore[attr-defined]
        return await connect_after_credentials(
            lambda: same_sync(sync), backend, broken, provider="generic",
            url=world.dav.url, username=world.dav.username, password=world.dav.password,
        )

    linked = world.with_sync(reconnect)
    assert linked.repaired
    assert linked.agent.status.value == "active"
    (event,) = world.events(world.calendar("ada")).values()
    assert event["start"] == "2030-04-05"
