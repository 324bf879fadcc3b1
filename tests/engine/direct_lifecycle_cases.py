"""Lifecycle scenarios of the calendar services zdcal writes to directly (run by
test_google_lifecycle.py and test_ms_lifecycle.py on their worlds): verify repairs a lost
event and removes a stray; a revoked grant marks the agent, and linking the same account
again repairs."""

from __future__ import annotations

from direct_world import DirectWorld
from world import NIA, due, same_sync

from zdcal.http.oauth import make_pkce_pair
from zdcal.sync.engine import AccountSync
from zdcal.usecases.calendars import Linked, connect_after_oauth

REDIRECT_URI = "http://127.0.0.1:9/calendar/callback"


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
