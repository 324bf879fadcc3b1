"""Google Calendar, directly, in headless Chromium: an agent offered both Cronofy and
Google connects Google (PKCE through the simulated Google's consent page), chooses the
calendar, and their task is an event there; then they move the event in Google, Google
pushes to zdcal's receiver and the task's due date follows in Zendesk. Screenshots at
1280 px and at Zendesk's 320 px sidebar."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from test_browser_agent_pages import shoot
from test_browser_journeys import Journey
from web_stack import NIA, open_stack

pytestmark = pytest.mark.browser

USER = "agent@example.com"


def test_agent_connects_google_calendar_and_a_move_in_google_changes_the_due_date(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    tasks = [(NIA, "2030-05-01T17:00:00Z", "Renew the contract")]
    with open_stack(tmp_path, tasks=tasks, google=True) as stack:
        assert stack.sandbox.google is not None
        google = httpx.Client(base_url=stack.sandbox.google.base_url, timeout=30)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            journey = Journey(stack, context.new_page(), screenshots)
            page = journey.page
            journey.sign_in(NIA)
            expect(page.locator("#connect-calendar")).to_be_visible()  # Cronofy, as before
            expect(page.locator("#connect-google")).to_have_text("Connect Google Calendar")
            shoot(journey, "google-offered")
            page.click("#connect-google")

            # Google's consent page (the simulator's): choose the account.
            expect(page.locator("main")).to_contain_text("Choose an account")
            journey.shot("google-consent")
            page.get_by_role("button", name=USER).click()

            expect(page.locator("#choose-card")).to_be_visible()
            expect(page.locator("#calendar_id")).to_have_value(USER)
            offered = page.locator("#calendar_id option").evaluate_all(
                "os => os.map(o => o.value)")
            assert offered == [USER]  # the read-only holiday calendar is not offered
            shoot(journey, "google-choose")
            assert _events(google) == []  # nothing written before the agent confirms
            page.click("#confirm-calendar")
            expect(page.locator("#served-by")).to_contain_text("Google Calendar")
            expect(page.locator("#sync-status")).to_contain_text(
                "1 of 1 open task on your calendar")
            shoot(journey, "google-connected")

            (event,) = _events(google)
            assert event["start"] == {"date": "2030-05-01"}
            assert event["source"]["url"].endswith("/agent/tickets/1")
            # The agent drags it two days later in Google Calendar.
            moved = google.patch(f"/_sandbox/calendars/{USER}/events/{event['id']}",
                                 json={"start": {"date": "2030-05-03"},
                                       "end": {"date": "2030-05-04"}})
            assert moved.status_code == 200, moved.text
            assert _due_at_becomes(stack.zd, 1, "2030-05-03")
            (after,) = _events(google)
            assert after["start"] == {"date": "2030-05-03"}  # no echo, nothing rewritten
        finally:
            context.close()
            google.close()


def _events(google: httpx.Client) -> list[dict[str, object]]:
    listed = google.get(f"/_sandbox/calendars/{USER}/events").json()["items"]
    return [e for e in listed if e["status"] != "cancelled"]


def _due_at_becomes(zd: httpx.Client, ticket_id: int, day: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        due = zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]["due_at"] or ""
        if due.startswith(day):
            return True
        time.sleep(0.2)
    return False
