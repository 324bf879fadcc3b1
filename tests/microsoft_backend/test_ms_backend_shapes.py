"""Event shapes as Outlook keeps them: all-day midnight to midnight in the agent's zone,
timed in the agent's zone, one reminder, private, showAs, the ticket link in the body."""

from __future__ import annotations

import httpx
import pytest

from microsoft_backend.ms_backend_support import event_id, mailbox, marker, upsert
from zdcal.calendars.base import WriteStatus
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.calendars.microsoft.event_shape import graph_event, time_text
from zdcal.store import Agent

pytestmark = pytest.mark.anyio


async def _held(backend: MicrosoftBackend, agent: Agent, sim: httpx.AsyncClient,
                **kwargs: object) -> dict[str, object]:
    assert agent.calendar_id is not None
    outcomes = await backend.for_agent(agent).apply([upsert(7, agent.calendar_id, **kwargs)])
    assert outcomes[0].status is WriteStatus.DONE, outcomes
    held = [e for e in await mailbox(sim) if marker(e) == event_id(7)]
    assert len(held) == 1
    return held[0]


async def test_an_all_day_task_is_midnight_to_midnight_and_free(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _held(backend, linked, sim, transparency="opaque")

    assert event["isAllDay"] is True
    assert event["originalStartTimeZone"] == "Europe/Berlin"
    assert event["start"] == {"dateTime": "2026-03-08T00:00:00.0000000", "timeZone": "UTC"}
    assert event["end"] == {"dateTime": "2026-03-09T00:00:00.0000000", "timeZone": "UTC"}
    assert event["showAs"] == "free"  # all-day: free, even for an agent shown busy


async def test_a_timed_task_is_in_the_agents_zone_and_follows_busy(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _held(backend, linked, sim, start="2026-07-08T14:00:00Z",
                        end="2026-07-08T14:30:00Z", transparency="opaque")

    assert event["isAllDay"] is False
    assert event["originalStartTimeZone"] == "Europe/Berlin"
    assert event["start"] == {"dateTime": "2026-07-08T14:00:00.0000000", "timeZone": "UTC"}
    assert event["end"] == {"dateTime": "2026-07-08T14:30:00.0000000", "timeZone": "UTC"}
    assert event["showAs"] == "busy"
    free = graph_event({**_body(), "start": "2026-07-08T14:00:00Z",
                        "end": "2026-07-08T14:30:00Z", "transparency": "transparent"})
    assert free["showAs"] == "free"
    assert free["start"] == {"dateTime": "2026-07-08T16:00:00", "timeZone": "Europe/Berlin"}


async def test_one_reminder_private_and_the_ticket_link(
    backend: MicrosoftBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _held(backend, linked, sim, event_private=True,
                        reminders=[{"minutes": 10}, {"minutes": 60}],
                        description="no link here")

    assert event["isReminderOn"] is True
    assert event["reminderMinutesBeforeStart"] == 60  # the earliest of those chosen
    assert event["sensitivity"] == "private"
    body = event["body"]
    assert isinstance(body, dict)
    assert body["content"].startswith("https://acme.zendesk.com/agent/tickets/7")
    assert event["subject"] == "#7 Call the customer"


async def test_an_unknown_zone_falls_back_to_utc() -> None:
    shaped = graph_event({**_body(), "tzid": "Not/AZone", "start": "2026-07-08T14:00:00Z",
                          "end": "2026-07-08T15:00:00Z"})
    assert shaped["start"] == {"dateTime": "2026-07-08T14:00:00", "timeZone": "UTC"}
    assert "isReminderOn" not in shaped  # none chosen: Outlook's default on create


def test_times_read_back_as_the_other_backends_report_them() -> None:
    assert time_text({"dateTime": "2026-03-08T00:00:00.0000000", "timeZone": "UTC"},
                     True) == "2026-03-08"
    assert time_text({"dateTime": "2026-03-08T14:00:00.0000000", "timeZone": "UTC"},
                     False) == "2026-03-08T14:00:00Z"
    assert time_text({"dateTime": "2026-03-08T15:00:00", "timeZone": "Europe/Berlin"},
                     False) == "2026-03-08T14:00:00Z"
    assert time_text({"dateTime": "garbage"}, False) == ""
    assert time_text(None, False) == ""


def _body() -> dict[str, object]:
    return {"event_id": "zdcal-k7q2mx4pn5r3ws6t-7", "summary": "s", "description": "d",
            "start": "2026-03-08", "end": "2026-03-09", "tzid": "Europe/Berlin",
            "url": "https://acme.zendesk.com/agent/tickets/7", "transparency": "opaque",
            "event_private": False}
