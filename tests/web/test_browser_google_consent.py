"""The Google simulator's consent page in a real browser: the account choice and the scopes in
Google's words, nothing sideways at 320 px, and choosing an account returns a code."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser
from test_browser_admin_layout import fits

from zdcal.sandbox.google import create_app
from zdcal.sandbox.server import ServerThread

pytestmark = pytest.mark.browser

CALLBACK = "http://127.0.0.1:9/oauth/google/callback"


def test_consent_page_fits_320_px_and_returns_a_code(
    chromium: Browser, screenshots: Path
) -> None:
    query = urlencode({
        "client_id": "sandbox-client.apps.googleusercontent.com", "response_type": "code",
        "redirect_uri": CALLBACK, "state": "st4te", "access_type": "offline",
        "scope": "https://www.googleapis.com/auth/calendar.events "
                 "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    })
    with ServerThread(create_app()) as server:
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{server.base_url}/o/oauth2/v2/auth?{query}")
            page.screenshot(path=screenshots / "google-consent-1280.png", full_page=True)
            page.set_viewport_size({"width": 320, "height": 700})
            page.screenshot(path=screenshots / "google-consent-320.png", full_page=True)
            assert fits(page, 320)
            text = page.inner_text("main")
            assert "Choose an account" in text
            assert "View and edit events on all your calendars" in text
            assert "See the list of Google calendars you're subscribed to" in text

            # Chromium does not route a redirect's target: read where the 302 sends it.
            with page.expect_response(lambda r: r.status == 302) as redirect:
                page.get_by_role("button", name="agent@example.com").click()
            location = redirect.value.headers["location"]
            assert location.startswith(CALLBACK + "?")
            back = parse_qs(urlsplit(location).query)
            assert back["state"] == ["st4te"]
            assert back["code"][0].startswith("4/")
        finally:
            page.close()
