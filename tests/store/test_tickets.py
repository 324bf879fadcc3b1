"""The ticket mirror."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from zdcal.store import MirroredTicket, Store
from zdcal.store.statements import MAX_ROWS_PER_STATEMENT
from zdcal.store.tables import DESCRIPTION_LIMIT

from .conftest import add_account

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parents[1] / "fixtures" / "zendesk"
DUE = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def mirrored(ticket: dict[str, Any]) -> MirroredTicket:
    """A ticket from a Zendesk API payload, as the sync engine would mirror it."""
    return MirroredTicket(
        ticket_id=ticket["id"],
        type=ticket["type"],
        status=ticket["status"],
        due_at=_instant(ticket["due_at"]),
        assignee_id=ticket["assignee_id"],
        subject=ticket["subject"],
        description=ticket["description"],
        priority=ticket["priority"],
        updated_at=_instant(ticket["updated_at"]),
        generated_timestamp=ticket["generated_timestamp"],
    )


def task(ticket_id: int, **changes: Any) -> MirroredTicket:
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "type": "task",
        "status": "open",
        "due_at": DUE + timedelta(hours=ticket_id % 48),
        "assignee_id": 1000 + ticket_id % 7,
        "subject": f"Task {ticket_id}",
        "description": f"Do thing {ticket_id}",
        "priority": "normal",
        "updated_at": DUE,
        "generated_timestamp": 1_772_000_000,
    }
    return MirroredTicket(**(fields | changes))


async def test_an_export_page_is_mirrored_with_its_newest_versions(store: Store) -> None:
    page = json.loads((FIXTURES / "incremental_tickets__page_with_deleted_task.json").read_text())
    account_id = await add_account(store)
    async with store.transaction() as tx:
        sent = await tx.tickets.upsert_many(account_id, (mirrored(t) for t in page["tickets"]))
        stored = await tx.tickets.get_many(account_id, [501, 502, 503, 504, 999])
        open_tasks = await tx.tickets.open_tasks_for_assignee(account_id, 235323)
    assert sent == 4  # ticket 501 appears twice on the page
    assert sorted(stored) == [501, 502, 503, 504]
    assert stored[501].status == "solved"  # the later version of 501 won
    assert stored[503].status == "deleted"
    assert stored[501].due_at == datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert [t.ticket_id for t in open_tasks] == [504]
    assert open_tasks[0] == mirrored(page["tickets"][4])


async def test_an_older_version_never_overwrites_a_newer_one(store: Store) -> None:
    # Versions are ordered by updated_at, then by read order; generated_timestamp, which
    # real show/show_many answers leave out (or send as 0), plays no part.
    account_id = await add_account(store)
    later = DUE + timedelta(minutes=5)

    async def status_after(version: MirroredTicket) -> str:
        async with store.transaction() as tx:
            await tx.tickets.upsert_many(account_id, [version])
            return (await tx.tickets.get_many(account_id, [1]))[1].status

    exported = task(1, status="open", updated_at=DUE, generated_timestamp=1_772_000_000)
    assert await status_after(exported) == "open"
    assert await status_after(task(1, status="solved", updated_at=later,
                                   generated_timestamp=0)) == "solved"
    assert await status_after(task(1, status="open", updated_at=DUE,
                                   generated_timestamp=1_772_999_999)) == "solved"
    # A delete bumps only generated_timestamp: same updated_at, read later, wins.
    assert await status_after(task(1, status="deleted", updated_at=later,
                                   generated_timestamp=None)) == "deleted"
    assert await status_after(task(1, status="new", updated_at=None,
                                   generated_timestamp=None)) == "new"


async def test_within_one_batch_the_newest_version_wins_whatever_its_place(
    store: Store,
) -> None:
    account_id = await add_account(store)
    newer = task(1, status="solved", updated_at=DUE + timedelta(seconds=1))
    older = task(1, status="open", updated_at=DUE)
    async with store.transaction() as tx:
        assert await tx.tickets.upsert_many(account_id, [newer, older]) == 1
        assert (await tx.tickets.get_many(account_id, [1]))[1].status == "solved"
        await tx.tickets.upsert_many(account_id, [task(2, status="open"),
                                                  task(2, status="hold")])
        assert (await tx.tickets.get_many(account_id, [2]))[2].status == "hold"


async def test_five_thousand_tickets_in_one_statement_per_chunk(store: Store) -> None:
    account_id = await add_account(store)
    inserts: list[str] = []

    def count_inserts(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TICKETS"):
            inserts.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count_inserts)
    tickets = [task(ticket_id) for ticket_id in range(1, 5001)]
    async with store.transaction() as tx:
        assert await tx.tickets.upsert_many(account_id, tickets) == 5000
    assert len(inserts) == 5000 // MAX_ROWS_PER_STATEMENT

    changed = [
        task(t.ticket_id, status="solved", updated_at=DUE + timedelta(seconds=1))
        for t in tickets
    ]
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, changed)
        stored = await tx.tickets.get_many(account_id, range(1, 5001))
    assert len(stored) == 5000
    assert stored == {t.ticket_id: t for t in changed}


async def test_open_tasks_are_found_by_assignee(store: Store) -> None:
    acme = await add_account(store, "acme")
    other = await add_account(store, "other")
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(
            acme,
            [
                task(1, assignee_id=7, status="new"),
                task(2, assignee_id=7, status="pending"),
                task(3, assignee_id=7, status="solved"),
                task(4, assignee_id=7, type="question"),
                task(5, assignee_id=8),
                task(6, assignee_id=7, status="hold", due_at=None),
            ],
        )
        await tx.tickets.upsert_many(other, [task(9, assignee_id=7)])
        found = await tx.tickets.open_tasks_for_assignee(acme, 7)
    assert [t.ticket_id for t in found] == [1, 2, 6]


async def test_descriptions_are_cut_to_what_a_calendar_can_show(store: Store) -> None:
    account_id = await add_account(store)
    long_text = "é" * (DESCRIPTION_LIMIT + 100)
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, [task(1, description=long_text)])
        stored = (await tx.tickets.get_many(account_id, [1]))[1]
    assert stored.description == long_text[:DESCRIPTION_LIMIT]


async def test_tickets_leave_the_mirror(store: Store) -> None:
    account_id = await add_account(store)
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, [task(i) for i in range(1, 6)])
        assert await tx.tickets.delete_many(account_id, [2, 4, 404]) == 2
        assert sorted(await tx.tickets.get_many(account_id, range(1, 6))) == [1, 3, 5]


async def test_the_latest_open_task_is_the_accounts_due_date_example(store: Store) -> None:
    acme, other = await add_account(store), await add_account(store, "other")
    later = DUE + timedelta(days=1)
    async with store.transaction() as tx:
        assert await tx.tickets.latest_open_task(acme) is None
        await tx.tickets.upsert_many(acme, [
            task(1, assignee_id=7),
            task(2, assignee_id=8, updated_at=later),
            task(3, assignee_id=7, updated_at=later, status="solved"),
            task(4, assignee_id=7, updated_at=later, due_at=None),
            task(5, assignee_id=7, updated_at=None),
        ])
        await tx.tickets.upsert_many(other, [task(9, assignee_id=7, updated_at=later)])
        newest = await tx.tickets.latest_open_task(acme)
        of_seven = await tx.tickets.latest_open_task(acme, [7])
        of_nobody = await tx.tickets.latest_open_task(acme, [])
    # 2 is the newest; of 7's, 1 (a known update time) beats 5 (none); nobody has none.
    assert [t.ticket_id if t else None for t in (newest, of_seven, of_nobody)] == [2, 1, None]
