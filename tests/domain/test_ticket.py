"""Which tickets want an event: the rule table, and reading tickets from the Zendesk API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    InvalidTicket,
    TicketState,
    desired_entries,
    desired_entry,
    ticket_state_from_api,
)

FixtureLoader = Callable[[str, str], Any]

AGENT_ID = 235323
AGENTS = {AGENT_ID: AgentTarget(AGENT_ID, "cal_agent_primary", "Europe/Berlin")}

OPEN_TASK = TicketState(
    ticket_id=35436,
    type="task",
    status="open",
    due_at=datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    assignee_id=AGENT_ID,
    subject="Call back",
    description="About the printer.",
    priority="high",
)


@pytest.mark.parametrize(
    ("change", "wants_event"),
    [
        ({}, True),
        ({"status": "new"}, True),
        ({"status": "pending"}, True),
        ({"status": "hold"}, True),
        ({"status": "solved"}, False),
        ({"status": "closed"}, False),
        ({"status": "deleted"}, False),
        ({"status": "archived-someday"}, False),
        ({"type": "incident"}, False),
        ({"type": "problem"}, False),
        ({"type": "question"}, False),
        ({"type": None}, False),
        ({"due_at": None}, False),
        ({"assignee_id": None}, False),
        ({"assignee_id": 999}, False),  # assigned to an agent who never connected a calendar
        ({"subject": None, "description": None, "priority": None}, True),
    ],
)
def test_which_tickets_want_an_event(
    account: AccountInfo, change: dict[str, Any], wants_event: bool
) -> None:
    entry = desired_entry(account, replace(OPEN_TASK, **change), AGENTS)
    assert (entry is not None) is wants_event


def test_wanted_event_goes_to_the_assignees_calendar(account: AccountInfo) -> None:
    agents = {
        **AGENTS,
        7: AgentTarget(7, "cal_other_agent", "Etc/UTC"),
    }
    entry = desired_entry(account, replace(OPEN_TASK, assignee_id=7), agents)
    assert entry is not None
    assert (entry.agent_id, entry.calendar_id) == (7, "cal_other_agent")


def test_reads_a_task_from_the_show_endpoint(load_fixture: FixtureLoader) -> None:
    payload = load_fixture("zendesk", "ticket__show_task_due")["ticket"]
    ticket = ticket_state_from_api(payload)
    assert ticket.ticket_id == payload["id"]
    assert ticket.type == "task"
    assert ticket.status == "open"
    assert ticket.due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert ticket.due_at is not None
    assert ticket.due_at.tzinfo is UTC
    assert ticket.assignee_id == payload["assignee_id"]
    assert ticket.subject == payload["subject"]
    assert ticket.description == payload["description"]
    assert ticket.priority == "high"


def test_an_export_page_wants_only_its_active_tasks_in_their_last_state(
    account: AccountInfo, load_fixture: FixtureLoader
) -> None:
    page = load_fixture("zendesk", "incremental_tickets__page_with_deleted_task")
    tickets = [ticket_state_from_api(raw) for raw in page["tickets"]]
    entries = desired_entries(account, tickets, AGENTS)
    # 501 appears twice and was solved last; 502 is an incident; 503 was deleted.
    assert [entry.ticket_id for entry in entries] == [504]


@pytest.mark.parametrize(
    "broken",
    [
        {"status": "open"},
        {"id": "35436", "status": "open"},
        {"id": 0, "status": "open"},
        {"id": 1},
        {"id": 1, "status": "open", "assignee_id": "235323"},
        {"id": 1, "status": "open", "assignee_id": True},
        {"id": 1, "status": "open", "subject": 42},
        {"id": 1, "status": "open", "due_at": "next Tuesday"},
        {"id": 1, "status": "open", "due_at": "2026-03-08T07:30:00"},
    ],
)
def test_malformed_tickets_are_refused_clearly(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidTicket):
        ticket_state_from_api(broken)


def test_due_at_offsets_are_normalised_to_utc() -> None:
    ticket = ticket_state_from_api(
        {"id": 1, "status": "open", "due_at": "2026-03-08T09:30:00+02:00"}
    )
    assert ticket.due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_a_naive_due_at_is_refused() -> None:
    with pytest.raises(InvalidTicket):
        replace(OPEN_TASK, due_at=datetime(2026, 3, 8, 7, 30))
