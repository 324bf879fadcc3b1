"""The simulated Zendesk's agent page in headless Chromium: a person works a task there,
at desktop width and at 320 px; the admin page's heading links to the Zendesk in use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser_journeys import Journey
from web_stack import ADMIN, KENJI, NIA, Stack, open_stack

pytestmark = pytest.mark.browser

WIDE, NARROW = 1280, 320


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tasks = [(NIA, "2030-05-01T15:00:00Z", "Renew Acme's contract")]
    with open_stack(tmp_path_factory.mktemp("zendesk-page"), tasks=tasks) as running:
        yield running


def browse(chromium: Browser, stack: Stack, folder: Path, width: int) -> Iterator[Journey]:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        yield Journey(stack, context.new_page(), folder)
    finally:
        context.close()


@pytest.fixture
def wide(chromium: Browser, stack: Stack, screenshots: Path) -> Iterator[Journey]:
    yield from browse(chromium, stack, screenshots, WIDE)


@pytest.fixture
def narrow(chromium: Browser, stack: Stack, screenshots: Path) -> Iterator[Journey]:
    yield from browse(chromium, stack, screenshots, NARROW)


def api_ticket(stack: Stack, ticket_id: int) -> httpx.Response:
    return stack.zd.get(f"/api/v2/tickets/{ticket_id}")


def scrolls_sideways(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    ))


def test_a_task_is_created_edited_solved_and_deleted_on_the_page(wide: Journey) -> None:
    page, stack = wide.page, wide.stack
    zendesk = stack.sandbox.zendesk.base_url
    page.goto(zendesk + "/agent")
    expect(page.locator("#tickets")).to_contain_text("Renew Acme's contract")
    wide.shot("zendesk-tasks")

    page.fill("#subject", "Ship the <new> printer")
    page.fill("#description", "Floor 3 needs it before the audit.")
    page.select_option("#assignee_id", str(NIA))
    page.fill("#due_date", "2030-06-10")
    page.click("#create")
    expect(page.locator("#notice")).to_contain_text("created")
    expect(page.locator("#stored-due-at")).to_have_text("2030-06-10T12:00:00Z")
    expect(page.locator("#title")).to_contain_text("Ship the <new> printer")
    ticket_id = int(page.url.split("/agent/tickets/")[1].split("?")[0])
    wide.shot("zendesk-ticket-created")

    page.fill("#due_date", "2030-06-12")
    page.fill("#due_time", "09:30")
    page.select_option("#assignee_id", str(KENJI))
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved")
    expect(page.locator("#stored-due-at")).to_have_text("2030-06-12T09:30:00Z")
    expect(page.locator("#stored-assignee")).to_have_text("Kenji Agent")
    ticket = api_ticket(stack, ticket_id).json()["ticket"]
    assert (ticket["due_at"], ticket["assignee_id"]) == ("2030-06-12T09:30:00Z", KENJI)

    page.select_option("#status", "solved")
    page.click("#save")
    expect(page.locator("#stored-status")).to_have_text("solved")
    assert api_ticket(stack, ticket_id).json()["ticket"]["status"] == "solved"
    wide.shot("zendesk-ticket-solved")

    page.click("#delete")
    expect(page.locator("#notice")).to_contain_text(f"Ticket #{ticket_id} deleted")
    expect(page.locator(f"#ticket-{ticket_id}")).to_have_count(0)
    assert api_ticket(stack, ticket_id).status_code == 404
    wide.shot("zendesk-ticket-deleted")


def test_the_pages_fit_a_320_px_screen(narrow: Journey) -> None:
    page, stack = narrow.page, narrow.stack
    zendesk = stack.sandbox.zendesk.base_url
    ticket_id = stack.create_task(NIA, "2030-07-01T08:00:00Z", "A rather long subject that "
                                  "has to wrap on a phone-sized screen without scrolling")
    page.goto(zendesk + "/agent/tasks")
    expect(page.locator(f"#ticket-{ticket_id}")).to_be_visible()
    assert not scrolls_sideways(page)
    narrow.shot("zendesk-tasks-320")
    page.goto(f"{zendesk}/agent/tickets/{ticket_id}")
    page.fill("#due_date", "")
    page.fill("#due_time", "10:00")
    page.click("#save")
    expect(page.locator("#problems")).to_contain_text("pick a date for the due time")
    assert not scrolls_sideways(page)
    narrow.shot("zendesk-ticket-320")


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_the_admin_heading_links_to_the_zendesk_in_use(
    chromium: Browser, stack: Stack, screenshots: Path, width: int
) -> None:
    for journey in browse(chromium, stack, screenshots, width):
        page = journey.page
        journey.sign_in(ADMIN, as_admin=True)
        heading = page.locator("#zendesk-url a")
        zendesk = stack.sandbox.zendesk.base_url
        expect(heading).to_have_text(zendesk)
        # The heading fits (the admin page's agents table is another matter).
        box = page.locator("#zendesk-url").bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width
        journey.shot(f"admin-heading-{width}")
        heading.click()
        expect(page.locator("#tickets")).to_be_visible()
        assert page.url == zendesk + "/agent/tasks"
