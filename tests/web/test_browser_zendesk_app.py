"""The Zendesk app in Chromium with third-party cookies blocked, framed the way Zendesk
frames it: the simulator's agent interface, on ``localhost`` (another site than zdcal on
``127.0.0.1``), POSTs the signed JWT into the iframe and answers the ZAF SDK over
postMessage. Every view is shot at 1280 and 320 px; at 320 px nothing scrolls sideways.

"Connect my calendar" opens a top-level window that goes straight to the calendar
service's consent page (Cronofy's for Kenji, Google's for Nia: both are set up, so the
sidebar offers each), and the sidebar follows once the calendar is chosen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from web_stack import KENJI, NIA, Stack, _add_sandbox_account, open_stack
from zendesk_app_kit import in_store, install_app, keep_off_and_fail

from conftest import CHROMIUM

DUE = "2030-05-01T15:00:00Z"
WIDE, NARROW = 1280, 320
GOOGLE_USER = "agent@example.com"
ON, KENJIS, KEPT, FAILED = 1, 2, 3, 4


@pytest.fixture(scope="module")
def strict_chromium() -> Iterator[Any]:
    """Chromium that blocks third-party cookies, as browsers increasingly do by default."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--test-third-party-cookie-phaseout"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    tasks = [(NIA, DUE, "On the calendar"), (KENJI, DUE, "Kenji's task"),
             (NIA, DUE, "Deleted from the calendar"), (NIA, DUE, "Refused by the calendar")]
    with open_stack(tmp_path, tasks=tasks, with_account=False, google=True) as stack:
        # Zendesk's pages on another site: the account's base URL names localhost.
        zendesk = stack.sandbox.zendesk.base_url.replace("127.0.0.1", "localhost")
        stack.account_id = _add_sandbox_account(stack.settings, zendesk)
        yield stack


def host_url(stack: Stack, installation: int, location: str, user: int,
             ticket: int | None = None) -> str:
    base = stack.sandbox.zendesk.base_url.replace("127.0.0.1", "localhost")
    url = f"{base}/agent/apps/{installation}?location={location}&user_id={user}"
    return url + (f"&ticket_id={ticket}" if ticket else "")


def shoot(page: Any, folder: Path, name: str) -> None:
    """The app (or zdcal's own window) at both widths; at 320 px the page is no wider
    than its frame."""
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(100)
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    app = page.frame(name="app") or page.main_frame
    wide = app.evaluate("document.documentElement.scrollWidth")
    framed = app.evaluate("window.innerWidth")
    assert wide <= framed, f"{name}: the app is {wide} px wide in a {framed} px frame"
    page.set_viewport_size({"width": WIDE, "height": 800})


def sidebar_words(page: Any, stack: Stack, installation: int, user: int, ticket: int) -> str:
    page.goto(host_url(stack, installation, "ticket_sidebar", user, ticket))
    app = page.frame_locator("#app")
    words = app.locator("#status-words")
    words.filter(has_not_text="Reading this ticket").wait_for()
    return str(words.inner_text())


def connect_in_window(page: Any, button: str, consent: Callable[[Any], None],
                      folder: Path | None = None) -> None:
    """Click a connect button in the sidebar: the window it opens goes straight to the
    calendar service's consent page (``consent`` answers it), then zdcal asks for the
    calendar and says the window may close."""
    with page.expect_popup() as opened:
        page.frame_locator("#app").locator(button).click()
    window = opened.value
    consent(window)
    window.locator("#choose-card").wait_for()
    if folder:
        shoot(window, folder, "connect-window-choose")
    window.locator("#confirm-calendar").click()
    window.locator("#connected-card").filter(has_text="You can close this window").wait_for()
    if folder:
        shoot(window, folder, "connect-window-done")
    window.close()


def cronofy_allows(owner: str) -> Callable[[Any], None]:
    def allow(window: Any) -> None:
        window.locator(f"input[name=account_id][value='acc_sandbox_{owner}']").check()
        window.locator("button[value=allow]").click()
    return allow


def google_allows(window: Any) -> None:
    window.locator("main").filter(has_text="Choose an account").wait_for()
    window.get_by_role("button", name=GOOGLE_USER).click()


def sidebar_follows(page: Any) -> str:
    """The sidebar's words once it shows the ticket on a calendar (it reads again while
    the connect window is open)."""
    app = page.frame_locator("#app")
    words = app.locator("#status-words")
    words.filter(has_text="On your calendar").wait_for(timeout=30_000)
    app.locator("#app-message").filter(has_text="Your calendar is connected.").wait_for()
    assert app.locator("#connect").is_hidden()
    return str(words.inner_text())


def test_the_sidebar_and_settings_inside_a_zendesk_frame(
    strict_chromium: Any, stack: Stack, screenshots: Path
) -> None:
    context = strict_chromium.new_context(viewport={"width": WIDE, "height": 800})
    page = context.new_page()
    try:
        installation = install_app(stack)
        # Kenji has not opened zdcal yet: his task is on no calendar.
        not_connected = sidebar_words(page, stack, installation, NIA, KENJIS)
        assert not_connected.endswith("has not connected a calendar.")
        shoot(page, screenshots, "sidebar-assignee-not-connected")
        # Kenji has no calendar: he is offered to connect one, in a top-level window.
        assert "connect your calendar" in sidebar_words(page, stack, installation, KENJI,
                                                        KENJIS)
        shoot(page, screenshots, "sidebar-not-connected")
        assert context.cookies() == []  # the framed app never needs a cookie
        app = page.frame_locator("#app")
        assert app.locator("#connect-google").inner_text() == "Connect Google Calendar"
        assert app.locator("#connect-calendar").inner_text() == "Other calendars (Cronofy)"
        connect_in_window(page, "#connect-calendar", cronofy_allows("bob"), screenshots)
        assert sidebar_follows(page).startswith("On your calendar")
        shoot(page, screenshots, "sidebar-after-connect")
        page.goto(host_url(stack, installation, "nav_bar", NIA))
        page.frame_locator("#app").locator("#style-form").wait_for()
        shoot(page, screenshots, "settings-not-connected")

        # Nia connects Google Calendar from the sidebar (PKCE, as on the agent page).
        sidebar_words(page, stack, installation, NIA, ON)
        connect_in_window(page, "#connect-google", google_allows)
        sidebar_follows(page)
        in_store(stack, partial(keep_off_and_fail, kept=KEPT, failed=FAILED, agent=NIA))
        seen = {}
        for ticket, name in ((ON, "on-calendar"), (KENJIS, "assignees-calendar"),
                             (KEPT, "kept-off"), (FAILED, "failed"), (999, "not-a-task")):
            seen[name] = sidebar_words(page, stack, installation, NIA, ticket)
            if name == "on-calendar" and "Being written" in seen[name]:
                page.wait_for_timeout(2000)  # the first write is on its way
                seen[name] = sidebar_words(page, stack, installation, NIA, ticket)
            shoot(page, screenshots, f"sidebar-{name}")
        assert seen["on-calendar"].startswith("On your calendar")
        assert seen["assignees-calendar"].startswith("On Kenji")
        assert "you deleted its event" in seen["kept-off"]
        assert "Your calendar refused this event." in seen["failed"]
        assert seen["not-a-task"] == "Not on a calendar: this ticket is not a task."

        sidebar_words(page, stack, installation, NIA, ON)
        app = page.frame_locator("#app")
        app.locator("#resync").click()
        app.locator("#app-message").filter(has_text="reading this ticket again").wait_for()

        page.goto(host_url(stack, installation, "nav_bar", NIA))
        app = page.frame_locator("#app")
        app.locator("#style-form").wait_for()
        shoot(page, screenshots, "settings")
        app.locator("#mode-timed").check()
        app.locator("#local_time").fill("09:30")
        app.locator("#save-style").click()
        app.locator("#app-message").filter(has_text="Saved").wait_for()
        shoot(page, screenshots, "settings-saved")
    finally:
        context.close()
