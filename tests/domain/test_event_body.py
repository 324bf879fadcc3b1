"""What the event says: summary, description, limits, private mode, the whole body."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import (
    AccountInfo,
    AgentTarget,
    EventStyle,
    TicketState,
    event_body,
    ticket_state_from_api,
)
from zdcal.domain.event import DESCRIPTION_LIMIT, SUMMARY_LIMIT, event_description, event_summary
from zdcal.domain.truncation import ELLIPSIS, truncate

FixtureLoader = Callable[[str, str], Any]
ACCOUNT = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
LINK = "https://acme.zendesk.com/agent/tickets/35436"

TASK = TicketState(
    ticket_id=35436,
    type="task",
    status="open",
    due_at=datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    assignee_id=235323,
    subject="Call the customer back",
    description="The printer shows error E-42.",
    priority=None,
)


@pytest.mark.parametrize(
    ("priority", "summary"),
    [
        (None, "#35436 Call the customer back"),
        ("urgent", "#35436 Call the customer back [Urgent]"),
        ("high", "#35436 Call the customer back [High]"),
        ("normal", "#35436 Call the customer back [Normal]"),
        ("low", "#35436 Call the customer back [Low]"),
        ("critical", "#35436 Call the customer back"),
    ],
)
def test_summary_is_id_subject_and_priority(priority: str | None, summary: str) -> None:
    assert event_summary(replace(TASK, priority=priority), private=False) == summary


def test_summary_is_one_line() -> None:
    ticket = replace(TASK, subject="  Call\nthe   customer\r\n\tback  ")
    assert event_summary(ticket, private=False) == "#35436 Call the customer back"


@pytest.mark.parametrize("subject", [None, "", "   \n "])
def test_summary_without_subject_is_the_id(subject: str | None) -> None:
    ticket = replace(TASK, subject=subject, priority="low")
    assert event_summary(ticket, private=False) == "#35436 [Low]"


def test_a_long_subject_is_shortened_and_keeps_id_and_priority() -> None:
    ticket = replace(TASK, subject="word " * 600, priority="urgent")
    summary = event_summary(ticket, private=False)
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.startswith("#35436 word word")
    assert summary.endswith(f"word{ELLIPSIS} [Urgent]")


def test_description_is_link_then_the_ticket_description() -> None:
    ticket = replace(TASK, description="Line one.\r\nLine two.\n")
    assert event_description(ACCOUNT, ticket, private=False) == f"{LINK}\n\nLine one.\nLine two."


@pytest.mark.parametrize("description", [None, "", " \r\n "])
def test_description_without_text_is_the_link(description: str | None) -> None:
    ticket = replace(TASK, description=description)
    assert event_description(ACCOUNT, ticket, private=False) == LINK


def test_a_long_description_is_cut_cleanly_within_the_limit() -> None:
    ticket = replace(TASK, description="lorem ipsum " * 1000)
    description = event_description(ACCOUNT, ticket, private=False)
    assert len(description) <= DESCRIPTION_LIMIT
    assert description.startswith(f"{LINK}\n\nlorem ipsum lorem")
    assert description.endswith(f"m{ELLIPSIS}")  # a whole word before the ellipsis


@given(subject=st.text(max_size=3000), description=st.text(max_size=9000))
def test_every_text_fits_cronofys_limits(subject: str, description: str) -> None:
    ticket = replace(TASK, subject=subject, description=description, priority="normal")
    assert len(event_summary(ticket, private=False)) <= SUMMARY_LIMIT
    assert len(event_description(ACCOUNT, ticket, private=False)) <= DESCRIPTION_LIMIT


@given(text=st.text(max_size=200), limit=st.integers(min_value=1, max_value=120))
def test_truncation_fits_and_only_cuts_what_is_too_long(text: str, limit: int) -> None:
    shortened = truncate(text, limit)
    assert len(shortened) <= limit
    if len(text) <= limit:
        assert shortened == text
    else:
        assert shortened.endswith(ELLIPSIS)
        assert text.startswith(shortened[: -len(ELLIPSIS)])


def test_truncation_prefers_a_word_boundary_nearby() -> None:
    text = "alpha " * 30 + "omega"
    assert truncate(text, 100) == "alpha " * 15 + "alpha" + ELLIPSIS
    # No boundary near the end: cut inside the word rather than losing most of the budget.
    assert truncate("a" * 200, 10) == "a" * 9 + ELLIPSIS


secret_words = st.from_regex(r"[A-Z]{12}", fullmatch=True)


@given(subject_word=secret_words, description_word=secret_words)
def test_private_mode_leaks_no_ticket_content(subject_word: str, description_word: str) -> None:
    ticket = replace(
        TASK,
        subject=f"Fire {subject_word}",
        description=f"Details {description_word}",
        priority="urgent",
    )
    agent = AgentTarget(1, "cal_1", "Europe/Berlin", EventStyle(private=True))
    body = event_body(ACCOUNT, ticket, agent)
    sent = json.dumps(body)
    assert subject_word not in sent
    assert description_word not in sent
    assert "Urgent" not in sent
    assert body["summary"] == "Zendesk task #35436"
    assert body["description"] == LINK
    assert body["event_private"] is True


def test_all_day_body_matches_the_cronofy_fixture(load_fixture: FixtureLoader) -> None:
    ticket = ticket_state_from_api(load_fixture("zendesk", "ticket__show_task_due")["ticket"])
    agent = AgentTarget(235323, "cal_agent_primary", "Europe/Berlin")
    expected = load_fixture("cronofy", "event__upsert_task_all_day")
    assert event_body(ACCOUNT, ticket, agent) == expected


def test_timed_private_body_matches_the_cronofy_fixture(load_fixture: FixtureLoader) -> None:
    ticket = ticket_state_from_api(load_fixture("zendesk", "ticket__show_task_due")["ticket"])
    style = EventStyle(
        all_day=False,
        local_time=time(9, 0),
        duration_minutes=45,
        reminders_minutes=(1440, 10),
        private=True,
        busy=True,
    )
    agent = AgentTarget(235323, "cal_agent_primary", "Australia/Sydney", style)
    expected = load_fixture("cronofy", "event__upsert_task_timed_private")
    assert event_body(ACCOUNT, ticket, agent) == expected


def test_reminders_are_omitted_unless_chosen() -> None:
    agent = AgentTarget(1, "cal_1", "Etc/UTC")
    assert "reminders" not in event_body(ACCOUNT, TASK, agent)
