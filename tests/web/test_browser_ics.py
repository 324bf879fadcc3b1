"""The calendar subscription in headless Chromium: an agent makes the link on their page,
copies it, a client fetches it, the agent makes a new one (the old stops working); the
agent page and the admin page say which backend serves each agent. Screenshots at
1280 px and at Zendesk's 320 px sidebar."""

from __future__ import annotations

from pathlib import Path

import httpx
import icalendar
import pytest
from playwright.sync_api import Browser, expect
from test_browser_agent_pages import shoot
from test_browser_journeys import Journey
from web_stack import ADMIN, KENJI, NIA, connected_agent, open_stack

pytestmark = pytest.mark.browser

TASKS = [(NIA, "2030-05-01T15:00:00Z", "Renew Acme's contract"),
         (NIA, "2030-05-03T15:00:00Z", "Call Globex back")]


def test_agent_subscribes_copies_fetches_and_rotates_the_link(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with (
        open_stack(tmp_path, tasks=TASKS) as stack,
        connected_agent(stack, KENJI, "bob"),  # a Cronofy agent, for the admin's list
    ):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        try:
            journey = Journey(stack, context.new_page(), screenshots)
            page = journey.page
            journey.sign_in(NIA)
            expect(page.locator("#served-by")).to_contain_text("Nothing yet")
            page.click("#ics-create")
            expect(page.locator("#ics-link")).to_be_visible()
            expect(page.locator("#served-by")).to_contain_text("Calendar subscription (ICS)")
            expect(page.locator("#ics-private")).to_be_checked()  # private by default
            expect(page.locator("#task-1")).to_contain_text("In your calendar subscription")
            page.click("#ics-refresh summary")
            expect(page.locator("#ics-refresh")).to_contain_text("Google Calendar")
            shoot(journey, "ics-new-link")

            copy = page.locator("#ics-copy")
            copy.click()
            expect(copy).to_have_text("Copied")
            url = page.evaluate("navigator.clipboard.readText()")
            assert url == page.input_value("#ics-link")
            answer = httpx.get(url, timeout=30)
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/calendar")
            events = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
            assert len(events) == len(TASKS)

            page.reload()  # the link is shown once
            expect(page.locator("#ics-link")).to_have_count(0)
            expect(page.locator("#ics-state")).to_be_visible()
            shoot(journey, "ics-subscribed")

            page.click("#ics-rotate")
            expect(page.locator("#ics-link")).to_be_visible()
            rotated = page.input_value("#ics-link")
            assert rotated != url
            assert httpx.get(url, timeout=30).status_code == 404
            assert httpx.get(rotated, timeout=30).status_code == 200
        finally:
            context.close()

        admin_context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            journey = Journey(stack, admin_context.new_page(), screenshots)
            page = journey.page
            journey.sign_in(ADMIN, as_admin=True)
            served = page.locator("tr.agent", has_text="Nia").locator(".served-by")
            expect(served).to_have_text("Calendar subscription (ICS)")
            cronofy = page.locator("tr.agent", has_text="Kenji").locator(".served-by")
            expect(cronofy).to_have_text("Cronofy")
            shoot(journey, "admin-served-by")
        finally:
            admin_context.close()
