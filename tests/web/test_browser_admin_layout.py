"""The pages at Zendesk's sidebar width (320 px) and on a laptop: nothing scrolls sideways,
the invitation link copies, unknown addresses get the site's own 404, signing out says so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser_journeys import Journey
from web_stack import (
    ADMIN,
    KENJI,
    NIA,
    Stack,
    connected_agent,
    eventually,
    open_stack,
    signed_in_client,
)

pytestmark = pytest.mark.browser

NARROW, WIDE = 320, 1280
DUE = "2030-05-01T15:00:00Z"


def fits(page: Page, width: int) -> bool:
    """Whether the page is no wider than the window (no horizontal scroll)."""
    scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
    return scroll_width <= width


def both_widths(journey: Journey, name: str) -> None:
    """Screenshots wide and narrow; at the narrow width nothing may stick out."""
    page = journey.page
    page.set_viewport_size({"width": WIDE, "height": 900})
    journey.shot(f"{name}-{WIDE}")
    page.set_viewport_size({"width": NARROW, "height": 800})
    assert fits(page, NARROW), f"{name} scrolls sideways at {NARROW} px"
    journey.shot(f"{name}-{NARROW}")


@pytest.fixture
def busy_stack(tmp_path: Path) -> Iterator[Stack]:
    """An account with an agent whose calendar works, one who must reconnect, a failed
    ticket, and agents who never signed in."""
    tasks = [(NIA, DUE, "Renew Acme's contract"), (KENJI, DUE, "Ship the parcel")]
    with open_stack(tmp_path, tasks=tasks) as stack:
        with connected_agent(stack, NIA, "ada"), connected_agent(stack, KENJI, "bob"):
            pass
        stack.revoke_calendar("acc_sandbox_bob")
        stack.create_task(KENJI, "2030-06-01T15:00:00Z", "Call back the customer")
        stack.advance_zendesk(61)
        with closing(signed_in_client(stack, ADMIN, next_page="admin")) as admin:
            assert eventually(lambda: "needs reconnect" in admin.get("/admin").text, 30)
            stack.cr.put("/_sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
            stack.create_task(NIA, "2030-06-02T15:00:00Z",
                              "Check https://example.com/a-very-long-address-without-any-break")
            stack.advance_zendesk(61)
            failed = eventually(lambda: 'id="failures"' in admin.get("/admin").text, 60)
            stack.cr.put("/_sandbox/faults", json={"error_rate": 0.0}).raise_for_status()
        assert failed, "no failed ticket appeared"
        yield stack


def test_admin_page_fits_320_px_and_copies_the_invitation(
    chromium: Browser, busy_stack: Stack, screenshots: Path
) -> None:
    context = chromium.new_context(viewport={"width": WIDE, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        journey = Journey(busy_stack, context.new_page(), screenshots)
        page = journey.page
        journey.sign_in(ADMIN, as_admin=True)
        expect(page.locator("#agents")).to_be_visible()
        expect(page.locator("tr.not-connected")).to_have_count(2)  # Lena, Sam
        expect(page.locator("#failures")).to_be_visible()
        reconnecting = page.locator("tr.agent", has_text="Kenji").locator(".last-synced")
        expect(reconnecting).to_contain_text("stopped")
        expect(reconnecting).not_to_contain_text("last update")
        both_widths(journey, "admin")
        page.set_viewport_size({"width": WIDE, "height": 900})
        copy = page.locator("tr.not-connected button[data-copy]").first
        expect(copy).to_be_visible()
        copy.click()
        expect(copy).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"{busy_stack.url}/signin?account=sandbox"
        assert page.input_value("#invitation-link") == copied  # the plain fallback
        icon = page.locator("link[rel=icon]").get_attribute("href")
        answer = page.request.get(busy_stack.url + str(icon))
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
    finally:
        context.close()


def test_sign_in_404_and_signed_out_pages_fit_320_px(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack:
        context = chromium.new_context(viewport={"width": WIDE, "height": 900})
        try:
            journey = Journey(stack, context.new_page(), screenshots)
            page = journey.page
            page.goto(stack.url + "/")
            both_widths(journey, "sign-in")
            for path, name in (("/no-such-page", "404"), ("/static/no-such.css", "404-static")):
                answer = page.goto(stack.url + path)
                assert answer is not None
                assert answer.status == 404
                expect(page.locator("#error-title")).to_have_text("Page not found")
                expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
                both_widths(journey, name)
                page.click("#home-link")
                expect(page.locator("#account")).to_be_visible()
            page.set_viewport_size({"width": WIDE, "height": 900})
            journey.sign_in(NIA)
            expect(page.locator("#connect-calendar")).to_be_visible()
            page.click("button:has-text('Sign out')")
            expect(page.locator(".flash.ok")).to_contain_text("signed out")
            both_widths(journey, "signed-out")
        finally:
            context.close()
