"""Which version of a ticket wins, when Zendesk's feeds deliver them out of order, and what
real Zendesk sends that the simulator once did not: no generated_timestamp outside the
incremental export (or 0), duplicates across export pages, newest-first search export,
scrubbed rows of permanently deleted tickets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send
from world import NIA, World, calendar, due, open_world

from zdcal.runtime import Runtime
from zdcal.sandbox.cronofy import create_app as create_cronofy_app
from zdcal.sandbox.runner import Sandbox, cronofy_config, zendesk_config
from zdcal.sandbox.scenario import Scenario
from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import create_app as create_zendesk_app
from zdcal.sandbox.zendesk.account import Account
from zdcal.store import MirroredTicket
from zdcal.sync.tickets import observed
from zdcal.zendesk.models import IncrementalExportBody

NIA_CAL = calendar("ada")
EXPORT = "/api/v2/incremental/tickets/cursor"
ZERO_STAMP = Scenario(settings={"zendesk": {"zero_generated_timestamp": True}})


@pytest.fixture(params=[None, ZERO_STAMP], ids=["stamp-absent", "stamp-zero"])
def stamp_world(
    request: pytest.FixtureRequest, tmp_path: Path, empty_database_url: str
) -> Iterator[World]:
    """A world whose Zendesk leaves generated_timestamp out of show/show_many (as
    recorded) or sends 0 there (as one recorded create did)."""
    with open_world(tmp_path, empty_database_url, request.param) as world:
        yield world


def start_dates(world: World) -> list[str]:
    return sorted(e["start"] for e in world.events(NIA_CAL).values())


def mirrored(world: World, ticket_id: int) -> MirroredTicket | None:
    async def work(runtime: Runtime) -> MirroredTicket | None:
        account = await world._account(runtime)
        async with runtime.store.transaction() as tx:
            return (await tx.tickets.get_many(account.id, [ticket_id])).get(ticket_id)

    return world.run(work)


def test_a_webhook_reread_after_an_export_page_wins(stamp_world: World) -> None:
    world = stamp_world
    world.connect(NIA, "ada")
    world.sync()  # the backfill; what follows is read by the incremental export
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()  # the export page stores the version with its generated_timestamp
    stored = mirrored(world, ticket)
    assert stored is not None
    assert stored.generated_timestamp
    world.update(ticket, due_at=due("2030-04-05"))

    world.with_sync(lambda sync: sync.refresh([ticket]))  # what a webhook hint does

    assert start_dates(world) == ["2030-04-05"]


def test_an_older_export_page_after_a_webhook_reread_changes_nothing(world: World) -> None:
    world.connect(NIA, "ada")
    ticket = world.create_task(NIA, due("2030-04-01"))
    world.sync()
    world.advance_zendesk(61)
    # An export page read now and applied after the newer re-read below.
    page = world.zd.get(f"{EXPORT}.json", params={"start_time": 0})
    page.raise_for_status()
    stale = [
        observed(t)
        for t in IncrementalExportBody.model_validate_json(page.content).tickets or ()
        if t.id == ticket
    ]
    assert len(stale) == 1
    assert stale[0].generated_timestamp
    world.update(ticket, due_at=due("2030-04-05"))
    world.with_sync(lambda sync: sync.refresh([ticket]))
    assert start_dates(world) == ["2030-04-05"]

    world.with_sync(lambda sync: sync.apply(stale))

    assert start_dates(world) == ["2030-04-05"]
    version = mirrored(world, ticket)
    assert version is not None
    assert version.due_at is not None
    assert version.due_at.date().isoformat() == "2030-04-05"


class ChangeAfterFirstExportPage:
    """The simulated Zendesk, wrapped: just before the first incremental export page is
    sent, ``change`` runs on the account, so the change is made while the export is paged
    (deterministically: the client cannot have that page before the change is done)."""

    def __init__(self, app: Starlette, change: Callable[[Account], None]) -> None:
        self.app = app
        self.change = change
        self.done = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.done or scope["type"] != "http" or not scope["path"].startswith(EXPORT):
            await self.app(scope, receive, send)
            return

        async def send_after_change(message: Message) -> None:
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last and not self.done:
                self.done = True
                self.change(self.app.state.account)
            await send(message)

        await self.app(scope, receive, send_after_change)


def test_a_ticket_changed_while_the_export_is_paged_replaces_its_pending_version(
    tmp_path: Path, empty_database_url: str
) -> None:
    # The task is new to zdcal (created after the backfill) and open on page 1; it is
    # solved while the export is paged, so page 2 shows it again, solved. The solved
    # version must replace the pending open one although it no longer concerns the
    # calendars: else the open version is applied and a solved task gets an event.
    solved: list[int] = []

    def solve_while_paging(account: Account) -> None:
        account.update_ticket(solved[0], {"status": "solved"}, None)
        account.config.clock_offset += 61  # the export's newest minute has passed

    scenario = Scenario()
    zd, cr = zendesk_config(scenario), cronofy_config(scenario)
    sandbox = Sandbox(
        ServerThread(ChangeAfterFirstExportPage(create_zendesk_app(zd), solve_while_paging)),
        ServerThread(create_cronofy_app(cr)),
        zd,
        cr,
    )
    with open_world(tmp_path, empty_database_url, sandbox=sandbox) as world:
        world.connect(NIA, "ada")
        world.sync()  # backfill: nothing yet; the export starts before what follows
        solved.append(world.create_task(NIA, due("2030-04-01"), "Solved while paging"))
        kept = world.create_task(NIA, due("2030-04-02"), "Still open")
        # More than one export page (1,000 tickets a page), all irrelevant to calendars.
        world.zd.post("/_sandbox/tickets/bulk", json={
            "count": 1100, "type": "question", "status": "open", "assignee_ids": [NIA],
        }).raise_for_status()

        report = world.sync()

        assert report.tickets_read >= 1100 + 3  # the solved task was read twice
        summaries = [e["summary"] for e in world.events(NIA_CAL).values()]
        assert summaries == [f"#{kept} Still open"]
        assert mirrored(world, solved[0]) is None


def test_a_permanently_deleted_task_loses_its_event_and_its_scrubbed_row_is_ignored(
    world: World,
) -> None:
    world.connect(NIA, "ada")
    purged_at_once = world.create_task(NIA, due("2030-04-01"), "Purged before a sync")
    purged_later = world.create_task(NIA, due("2030-04-02"), "Purged after a sync")
    world.sync()
    assert len(world.events(NIA_CAL)) == 2

    world.delete(purged_at_once)
    purge = world.zd.delete(f"/api/v2/deleted_tickets/{purged_at_once}")
    assert purge.status_code == 200, purge.text
    world.delete(purged_later)
    world.sync()
    assert world.events(NIA_CAL) == {}
    assert world.zd.delete(f"/api/v2/deleted_tickets/{purged_later}").status_code == 200
    report = world.sync()

    assert world.events(NIA_CAL) == {}
    assert report.events_failed == 0
    assert mirrored(world, purged_at_once) is None
    assert mirrored(world, purged_later) is None
    state = world.zd.get("/_sandbox/state").json()["tickets"]
    scrubbed = {t["id"]: t["subject"] for t in state if t["id"] in (purged_at_once, purged_later)}
    assert scrubbed == {purged_at_once: "SCRUBBED", purged_later: "SCRUBBED"}
    restore = world.zd.put(f"/api/v2/deleted_tickets/{purged_at_once}/restore")
    assert restore.status_code == 404


def test_backfill_does_not_depend_on_the_search_export_order(world: World) -> None:
    # The search export sends the newest tickets first; the backfill result is the same.
    world.connect(NIA, "ada")
    made = []
    for day in ("2030-04-03", "2030-04-01", "2030-04-02"):
        made.append(world.create_task(NIA, due(day)))
        world.advance_zendesk(30)
    world.update(made[0], due_at=due("2030-04-04"))
    first = world.zd.get("/api/v2/search/export", params={
        "query": "ticket_type:task", "filter[type]": "ticket"}).json()["results"]
    assert [t["id"] for t in first] == made[::-1]

    world.sync()

    assert start_dates(world) == ["2030-04-01", "2030-04-02", "2030-04-04"]
    assert world.expected([NIA_CAL]) == world.all_managed([NIA_CAL])
