"""What a task's event looks like at Google: all-day and timed times, reminders,
privacy, free/busy, the ticket link and zdcal's private properties."""

from __future__ import annotations

import httpx
import pytest

from google_backend.google_backend_support import KEY, body, sim_events, upsert
from zdcal.calendars.base import WriteStatus
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.event_shape import google_event, time_text
from zdcal.store import Agent

pytestmark = pytest.mark.anyio


async def _written(backend: GoogleBackend, agent: Agent, sim: httpx.AsyncClient,
                   **kwargs: object) -> dict[str, object]:
    outcomes = await backend.for_agent(agent).apply([upsert(1, **kwargs)])  # type: ignore[arg-type]
    assert [o.status for o in outcomes] == [WriteStatus.DONE], outcomes
    [event] = await sim_events(sim)
    assert isinstance(event, dict)
    return event


async def test_an_all_day_task_has_dates_with_an_exclusive_end(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _written(backend, linked, sim)

    assert event["start"] == {"date": "2026-03-08"}
    assert event["end"] == {"date": "2026-03-09"}
    assert event["transparency"] == "transparent"
    assert event["visibility"] == "default"


async def test_a_timed_task_is_shown_in_the_agents_zone(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _written(backend, linked, sim, start="2026-03-08T14:00:00Z",
                           end="2026-03-08T14:30:00Z", transparency="opaque")

    start, end = event["start"], event["end"]
    assert isinstance(start, dict)
    assert isinstance(end, dict)
    assert start["timeZone"] == end["timeZone"] == "Europe/Berlin"
    assert time_text(start) == "2026-03-08T14:00:00Z"
    assert time_text(end) == "2026-03-08T14:30:00Z"
    assert event["transparency"] == "opaque"


async def test_reminders_private_mode_and_the_ticket_link(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    event = await _written(backend, linked, sim, event_private=True,
                           reminders=[{"minutes": 60}, {"minutes": 10}])

    assert event["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 10}, {"method": "popup", "minutes": 60}],
    }
    assert event["visibility"] == "private"
    assert event["source"] == {"title": "Zendesk",
                               "url": "https://acme.zendesk.com/agent/tickets/1"}
    assert event["extendedProperties"] == {
        "private": {"zdcal": "1", "zdcalAccount": KEY, "zdcalTicket": "1"}
    }


def test_no_reminders_chosen_means_the_calendars_own() -> None:
    assert google_event(body(1))["reminders"] == {"useDefault": True}


def test_at_most_five_reminders_are_sent() -> None:
    many = google_event(body(1, reminders=[{"minutes": m} for m in range(0, 70, 10)]))
    assert [o["minutes"] for o in many["reminders"]["overrides"]] == [0, 10, 20, 30, 40]


def test_times_read_back_in_the_other_backends_spelling() -> None:
    assert time_text({"date": "2026-03-08"}) == "2026-03-08"
    assert time_text({"dateTime": "2026-03-08T15:00:00+01:00",
                      "timeZone": "Europe/Berlin"}) == "2026-03-08T14:00:00Z"
    assert time_text(None) == ""
    assert time_text({"dateTime": "soon"}) == ""
