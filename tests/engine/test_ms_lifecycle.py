"""The lifecycle scenarios (test_lifecycle.py) with Microsoft 365 agents on the Graph
simulator: the same cases, the same assertions, read back from the simulated mailboxes;
then what only Outlook shows (the event's shape, verify's repairs, a revoked grant)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from microsoft_world import MicrosoftWorld, ms_email
from test_lifecycle import ON_EVERY_BACKEND
from world import NIA, World, due, same_sync

from microsoft_backend.ms_backend_support import REDIRECT_URI, consent
from zdcal.http.oauth import make_pkce_pair
from zdcal.sync.engine import AccountSync
from zdcal.usecases.calendars import Linked, connect_after_oauth


@pytest.mark.parametrize("case", ON_EVERY_BACKEND, ids=lambda case: case.__name__[5:])
def test_lifecycle_on_microsoft(
    microsoft_world: MicrosoftWorld, case: Callable[[World], None]
) -> None:
    case(microsoft_world)


def test_each_task_is_one_outlook_event_marked_with_its_event_id(
    microsoft_world: MicrosoftWorld,
) -> None:
    world = microsoft_world
    world.connect(NIA, "ada", style={"all_day": False, "local_time": "09:00",
                                     "duration_minutes": 30, "reminders_minutes": [10, 60],
                                     "private": True})
    ticket = world.create_task(NIA, due("2030-04-01"), "Secret subject")
    world.sync()
    (event,) = world.events(world.calendar("ada")).values()
    assert event["event_id"].endswith(f"-{ticket}")
    assert "Secret subject" not in event["summary"]
    assert event["private"]
    assert event["reminder"] == 60, "Outlook keeps one reminder: the earliest"
    # 09:00 in New York on the due date, as the other backends' events say, in her zone.
    assert (event["start"], event["end"]) == ("2030-04-01T13:00:00Z", "2030-04-01T13:30:00Z")
    assert event["time_zone"] == "America/New_York"


def test_verify_rewrites_a_lost_event_and_removes_a_stray(
    microsoft_world: MicrosoftWorld,
) -> None:
    world = microsoft_world
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
    assert len(world.raw_events(world.calendar("ada"))) == 1, "the stray is deleted"


def test_a_revoked_grant_marks_the_agent_and_relinking_repairs(
    microsoft_world: MicrosoftWorld,
) -> None:
    world = microsoft_world
    world.connect(NIA, "ada")
    first = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    # The user removes zdcal's access in their Microsoft account: tokens die, refreshing
    # is refused with invalid_grant.
    world.graph.post(f"/_sandbox/users/{ms_email('ada')}/revoke").raise_for_status()
    world.update(first, due_at=due("2030-05-01"))
    second = world.create_task(NIA, due("2030-05-02"))
    report = world.sync()
    assert report.agents_needing_reconnect == 1
    assert world.agent(NIA).status.value == "needs_reconnect"
    # They sign in to the same mailbox again on the agent page (PKCE).
    broken = world.agent(NIA)

    async def relink(sync: AccountSync) -> Linked:
        backend = sync.calendars.backend("microsoft")  # type: ignore[attr-defined]
        pkce = make_pkce_pair()
        url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
        base = str(world.graph.base_url)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            code = (await consent(http, url, ms_email("ada")))["code"][0]
        return await connect_after_oauth(lambda: same_sync(sync), backend, broken, code,
                                         REDIRECT_URI, pkce.verifier)

    linked = world.with_sync(relink)
    assert linked.repaired
    assert linked.agent.status.value == "active"
    starts = {e["summary"].split()[0]: e["start"]
              for e in world.events(world.calendar("ada")).values()}
    assert starts == {f"#{first}": "2030-05-01", f"#{second}": "2030-05-02"}
