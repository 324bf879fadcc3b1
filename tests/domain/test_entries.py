"""Desired entries and their content hash: a write happens when, and only when, it shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    EventStyle,
    TicketState,
    content_hash,
    desired_entries,
    desired_entry,
    event_body,
    plan,
)

ACCOUNT = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
AGENT = AgentTarget(7, "cal_seven", "Europe/Berlin")
AGENTS = {7: AGENT}
TASK = TicketState(
    ticket_id=35436,
    type="task",
    status="open",
    due_at=datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    assignee_id=7,
    subject="Call back",
    description="About the printer.",
    priority="high",
)


def test_hash_covers_exactly_the_body_and_the_calendar() -> None:
    body = event_body(ACCOUNT, TASK, AGENT)
    reordered = dict(reversed(list(body.items())))
    assert content_hash("cal_seven", body) == content_hash("cal_seven", reordered)
    assert content_hash("cal_seven", body) != content_hash("cal_eight", body)
    assert content_hash("cal_seven", body) != content_hash(
        "cal_seven", {**body, "summary": body["summary"] + "!"}
    )
    assert len(content_hash("cal_seven", body)) == 64


def test_desired_entry_describes_its_target_and_body() -> None:
    entry = desired_entry(ACCOUNT, TASK, AGENTS)
    assert entry is not None
    assert entry.event_id == entry.body["event_id"] == "zdcal-k7q2mx4pn5r3ws6t-35436"
    assert (entry.agent_id, entry.calendar_id) == (7, "cal_seven")
    assert entry.content_hash == content_hash("cal_seven", entry.body)
    recorded = entry.recorded()
    assert (recorded.ticket_id, recorded.event_id, recorded.content_hash) == (
        35436,
        entry.event_id,
        entry.content_hash,
    )


def _unchanged_after(before: TicketState, after: TicketState, agent: AgentTarget) -> bool:
    agents = {7: agent}
    first = desired_entry(ACCOUNT, before, agents)
    second = desired_entry(ACCOUNT, after, agents)
    assert first is not None
    assert second is not None
    return plan([second], [first.recorded()]) == []


@given(status=st.sampled_from(["new", "open", "pending", "hold"]))
def test_status_changes_between_active_states_write_nothing(status: str) -> None:
    assert _unchanged_after(TASK, replace(TASK, status=status), AGENT)


@given(subject=st.text(max_size=50), description=st.text(max_size=50))
def test_private_events_ignore_subject_and_description_edits(
    subject: str, description: str
) -> None:
    private = replace(AGENT, style=EventStyle(private=True))
    edited = replace(TASK, subject=subject, description=description, priority="low")
    assert _unchanged_after(TASK, edited, private)


@given(minutes=st.integers(min_value=0, max_value=59))
def test_due_time_changes_within_the_same_local_day_write_nothing_for_all_day_events(
    minutes: int,
) -> None:
    assert TASK.due_at is not None
    moved = replace(TASK, due_at=TASK.due_at.replace(minute=minutes))
    assert _unchanged_after(TASK, moved, AGENT)


def test_visible_changes_write() -> None:
    assert not _unchanged_after(TASK, replace(TASK, subject="Call back today"), AGENT)
    assert not _unchanged_after(TASK, replace(TASK, priority="urgent"), AGENT)
    next_day = replace(TASK, due_at=datetime(2026, 3, 9, 7, 30, tzinfo=UTC))
    assert not _unchanged_after(TASK, next_day, AGENT)


def test_style_and_time_zone_changes_write() -> None:
    entry = desired_entry(ACCOUNT, TASK, AGENTS)
    assert entry is not None
    for changed in (
        replace(AGENT, time_zone="Pacific/Kiritimati"),
        replace(AGENT, style=EventStyle(all_day=False, local_time=time(9, 0))),
        replace(AGENT, style=EventStyle(reminders_minutes=(15,))),
        replace(AGENT, style=EventStyle(busy=True)),
    ):
        again = desired_entry(ACCOUNT, TASK, {7: changed})
        assert again is not None
        assert again.content_hash != entry.content_hash


def test_a_repeated_ticket_counts_with_its_last_state() -> None:
    solved_later = [TASK, replace(TASK, status="solved")]
    reopened_later = [replace(TASK, status="solved"), TASK]
    assert desired_entries(ACCOUNT, solved_later, AGENTS) == []
    assert [entry.ticket_id for entry in desired_entries(ACCOUNT, reopened_later, AGENTS)] == [
        35436
    ]


def test_desired_entries_are_ordered_by_ticket() -> None:
    tickets = [replace(TASK, ticket_id=ticket_id) for ticket_id in (30, 4, 17, 5)]
    assert [entry.ticket_id for entry in desired_entries(ACCOUNT, tickets, AGENTS)] == [
        4,
        5,
        17,
        30,
    ]
