"""The CalDAV form in headless Chromium, against a real Radicale: an agent opens it, a wrong
app password is a message, the right one leads to the calendar choice, and then the page
says CalDAV serves them and the task is on the server. Screenshots at 1280 px and at
Zendesk's 320 px sidebar."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser_agent_pages import shoot
from test_browser_journeys import Journey
from web_stack import NIA, open_stack

from caldav_backend.caldav_servers import CalDAVServer, make_calendar

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("caldav_server_running", ["radicale"], indirect=True)
def test_agent_connects_a_caldav_calendar_in_the_browser(
    chromium: Browser, tmp_path: Path, screenshots: Path, caldav_server_running: CalDAVServer
) -> None:
    server = caldav_server_running
    url = f"{server.calendar_home_url}browser{uuid.uuid4().hex[:8]}/"
    with server.http() as http:
        make_calendar(http, url, "Zendesk tasks in the browser")
    with open_stack(tmp_path, tasks=[(NIA, "2030-05-01T17:00:00Z", "Renew the contract")]) as stack:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            journey = Journey(stack, context.new_page(), screenshots)
            page = journey.page
            journey.sign_in(NIA)
            page.click("#caldav-connect summary")
            page.select_option("#caldav-provider", "generic")
            page.fill("#caldav-url", server.url)
            page.fill("#caldav-username", server.username)
            page.fill("#caldav-password", "not-the-app-password")
            shoot(journey, "caldav-form")
            page.click("#connect-caldav")
            expect(page.locator("body")).to_contain_text("refused that username or password")
            expect(page.locator("#served-by")).to_contain_text("Nothing yet")

            # The form comes back open and filled in, but for the password.
            expect(page.locator("#caldav-url")).to_have_value(server.url)
            expect(page.locator("#caldav-username")).to_have_value(server.username)
            expect(page.locator("#caldav-provider")).to_have_value("generic")
            expect(page.locator("#caldav-password")).to_have_value("")
            page.fill("#caldav-password", server.password)
            page.click("#connect-caldav")
            expect(page.locator("#choose-card")).to_contain_text("Zendesk tasks in the browser")
            page.select_option("#choose-card #calendar_id", url)
            shoot(journey, "caldav-choose")
            page.click("#confirm-calendar")
            expect(page.locator("#served-by")).to_contain_text("CalDAV")
            shoot(journey, "caldav-connected")
            assert server.password not in page.content()
        finally:
            context.close()
    with server.http() as http:
        listing = http.request("PROPFIND", url, headers={"Depth": "1"})
    assert listing.text.count(".ics</") == 1
