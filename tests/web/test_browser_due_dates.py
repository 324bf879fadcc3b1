"""The admin's due-date reading in headless Chromium: the live example appears once the
account has an open task, and saving a reading rewrites the agents' events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser_journeys import Journey
from web_stack import ADMIN, NIA, calendar, connect_calendar, open_stack, signed_in_client

pytestmark = pytest.mark.browser


@pytest.fixture
def journey(chromium: Browser, tmp_path: Path, screenshots: Path) -> Iterator[Journey]:
    with open_stack(tmp_path) as stack:  # no task yet
        context = chromium.new_context(viewport={"width": 1100, "height": 800})
        try:
            yield Journey(stack, context.new_page(), screenshots)
        finally:
            context.close()


def test_the_admin_sees_a_live_example_and_chooses_a_reading(journey: Journey) -> None:
    page, stack = journey.page, journey.stack
    with closing(signed_in_client(stack, NIA)) as nia:
        assert connect_calendar(stack, nia, "ada").headers["location"] == "/agent"
    journey.sign_in(ADMIN, as_admin=True)
    expect(page.locator("#due-date-example")).to_contain_text("No open task with a due date")
    expect(page.locator("#due-dates-agent_zone")).to_be_checked()
    journey.shot("admin-due-dates-no-task")

    # 02:00 UTC on 1 May is still 30 April in New York, where Nia lives.
    ticket = stack.create_task(NIA, "2030-05-01T02:00:00Z", "Send the quote")
    stack.advance_zendesk(61)  # the export withholds the newest minute
    deadline = time.monotonic() + 15
    while not stack.mirrored(ticket):
        assert time.monotonic() < deadline, "the task never reached the mirror"
        time.sleep(0.2)
    page.reload()
    example = page.locator("#due-date-example")
    expect(example).to_contain_text(
        f"Ticket #{ticket}: due_at 2030-05-01T02:00:00Z → shown on Tue 30 Apr 2030"
    )
    expect(example).to_contain_text("to Nia Agent, America/New_York")
    expect(page.locator("label:has(#due-dates-utc)")).to_contain_text(
        f"#{ticket} on Wed 1 May 2030"
    )
    card = page.locator("#due-dates-card")
    journey.shot("admin-due-dates-wide")
    card.screenshot(path=str(journey.folder / "card-wide.png"))
    page.set_viewport_size({"width": 320, "height": 800})
    journey.shot("admin-due-dates-320")
    card.screenshot(path=str(journey.folder / "card-320.png"))
    page.set_viewport_size({"width": 1100, "height": 800})

    page.check("#due-dates-utc")
    page.click("#save-due-dates")
    expect(page.locator(".flash.ok")).to_contain_text("due dates are read as the date in UTC")
    expect(page.locator("#due-date-example")).to_contain_text("shown on Wed 1 May 2030")
    expect(page.locator("#due-dates-utc")).to_be_checked()
    journey.shot("admin-due-dates-saved")
    deadline = time.monotonic() + 15
    while [e["start"] for e in stack.events(calendar("ada")).values()] != ["2030-05-01"]:
        assert time.monotonic() < deadline, "Nia's event was not rewritten"
        time.sleep(0.1)
