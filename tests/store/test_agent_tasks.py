"""An agent's open tasks with their calendar state, a page at a time, in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from zdcal.domain import RecordedEntry
from zdcal.store import AgentTask, MirroredTicket, Store

from .conftest import ManualClock, add_account, add_agent

pytestmark = pytest.mark.anyio

ANN, BOB = 361_000_000_001, 361_000_000_002
DUE = datetime(2030, 5, 1, 15, 0, tzinfo=UTC)


def task(ticket_id: int, **changes: Any) -> MirroredTicket:
    fields: dict[str, Any] = {
        "ticket_id": ticket_id, "type": "task", "status": "open",
        "due_at": DUE + timedelta(days=ticket_id), "assignee_id": ANN,
        "subject": f"Task {ticket_id}", "description": None, "priority": None,
    }
    return MirroredTicket(**(fields | changes))


async def test_each_open_task_comes_with_its_state(store: Store, clock: ManualClock) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, ANN, "Ann")
    await add_agent(store, account_id, BOB, "Bob")
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, [
            task(1), task(2), task(3), task(4), task(5, due_at=None),
            task(6, status="solved"), task(7, type="incident"), task(8, assignee_id=BOB),
            task(9),
        ])
        await tx.entries.upsert(account_id, RecordedEntry(1, ANN, "cal_ann", "e-1", "h"))
        # An entry left in a calendar Ann no longer uses is not "on the calendar".
        await tx.entries.upsert(account_id, RecordedEntry(4, ANN, "cal_old", "e-4", "h"))
        await tx.entries.upsert(account_id, RecordedEntry(3, ANN, "cal_ann", "e-3", "h"))
        await tx.suppressions.add(account_id, 2, ANN, due_at=None, assignee_id=ANN, type="task")
        await tx.failures.record(account_id, 3, "Cronofy answered 503 (POST /v1/batch)",
                                 agent_id=ANN, kind="unavailable")
        # A failure of the ticket's former assignee is not Ann's.
        await tx.failures.record(account_id, 9, "rejected", agent_id=BOB, kind="rejected")
        page = await tx.agent_tasks.page(account_id, ANN, "cal_ann", limit=50)
    now = clock.now()
    assert page.tasks == [
        AgentTask(1, "Task 1", DUE + timedelta(days=1), True, None, None, None, None),
        AgentTask(2, "Task 2", DUE + timedelta(days=2), False, now, None, None, None),
        AgentTask(3, "Task 3", DUE + timedelta(days=3), True, None, "unavailable",
                  "Cronofy answered 503 (POST /v1/batch)", now + timedelta(minutes=1)),
        AgentTask(4, "Task 4", DUE + timedelta(days=4), False, None, None, None, None),
        AgentTask(9, "Task 9", DUE + timedelta(days=9), False, None, None, None, None),
        AgentTask(5, "Task 5", None, False, None, None, None, None),  # no due date: last
    ]
    assert (page.total, page.on_calendar, page.failing, page.kept_off) == (6, 2, 1, 1)


async def test_thousands_of_tasks_come_a_page_at_a_time_in_one_statement(
    store: Store,
) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, ANN, "Ann")
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, [task(n) for n in range(1, 3001)])
        await tx.entries.upsert_many(
            account_id, [RecordedEntry(n, ANN, "cal_ann", f"e-{n}", "h") for n in range(1, 2001)]
        )
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with store.transaction() as tx:
            page = await tx.agent_tasks.page(account_id, ANN, "cal_ann", limit=50, offset=2950)
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [t.ticket_id for t in page.tasks] == list(range(2951, 3001))
    assert (page.total, page.on_calendar, page.failing, page.kept_off) == (3000, 2000, 0, 0)


async def test_an_agent_without_a_calendar_has_nothing_on_it(store: Store) -> None:
    account_id = await add_account(store)
    await add_agent(store, account_id, ANN, "Ann")
    async with store.transaction() as tx:
        await tx.tickets.upsert_many(account_id, [task(1)])
        await tx.entries.upsert(account_id, RecordedEntry(1, ANN, "cal_ann", "e-1", "h"))
        page = await tx.agent_tasks.page(account_id, ANN, None, limit=50)
        beyond = await tx.agent_tasks.page(account_id, ANN, None, limit=50, offset=50)
    assert [(t.ticket_id, t.on_calendar) for t in page.tasks] == [(1, False)]
    assert (page.total, page.on_calendar) == (1, 0)
    assert (beyond.tasks, beyond.total) == ([], 0)


async def test_failures_say_their_kind_and_which_accounts_are_due(
    store: Store, clock: ManualClock
) -> None:
    account_id = await add_account(store)
    other = await add_account(store, "other")
    async with store.transaction() as tx:
        await tx.failures.record(account_id, 1, "calendar answered 500", agent_id=ANN,
                                 kind="unavailable")
        await tx.failures.record(account_id, 2, "old", agent_id=ANN)
        await tx.failures.record(account_id, 3, "someone else's", agent_id=BOB)
        clock.advance(seconds=30)
        await tx.failures.record(other, 4, "later", agent_id=ANN)
        assert await tx.failures.accounts_due() == []
        ann = await tx.failures.for_agent(account_id, ANN, limit=5)
    assert [(f.ticket_id, f.kind) for f in ann] == [(1, "unavailable"), (2, "unknown")]
    clock.advance(seconds=30)
    async with store.transaction() as tx:
        assert await tx.failures.accounts_due() == [account_id]
        assert len(await tx.failures.for_agent(account_id, ANN, limit=1)) == 1
    clock.advance(seconds=30)
    async with store.transaction() as tx:
        assert await tx.failures.accounts_due() == [account_id, other]
