"""Journeys in headless Chromium: every click a person makes, against the simulators."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from web_stack import ADMIN, KENJI, NIA, Stack, calendar, eventually, open_stack

pytestmark = pytest.mark.browser

DUE = "2030-05-01T15:00:00Z"


class Journey:
    """A browser page on the stack, with a screenshot of every step."""

    def __init__(self, stack: Stack, page: Page, folder: Path) -> None:
        self.stack = stack
        self.page = page
        self.folder = folder
        self.step = 0

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"),
                             full_page=True)

    def sign_in(self, user_id: int, *, as_admin: bool = False) -> None:
        page = self.page
        page.goto(self.stack.url + "/")
        self.shot("home")
        page.fill("#account", "sandbox")
        page.click("#signin-admin" if as_admin else "#signin")
        expect(page.locator("#allow")).to_be_visible()
        page.check(f"input[name=user_id][value='{user_id}']")
        self.shot("zendesk-consent")
        page.click("#allow")

    def allow_calendar(self, owner: str) -> None:
        page = self.page
        expect(page.locator("button[value=allow]")).to_be_visible()
        page.check(f"input[name=account_id][value='acc_sandbox_{owner}']")
        self.shot("cronofy-consent")
        page.click("button[value=allow]")


@pytest.fixture
def journey(chromium: Browser, tmp_path: Path, screenshots: Path) -> Iterator[Journey]:
    with open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack:
        context = chromium.new_context(viewport={"width": 1100, "height": 800})
        try:
            yield Journey(stack, context.new_page(), screenshots)
        finally:
            context.close()


def test_agent_connects_switches_and_disconnects(journey: Journey) -> None:
    page, stack = journey.page, journey.stack
    journey.sign_in(NIA)
    expect(page.locator("#connect-calendar")).to_be_visible()
    journey.shot("agent-not-connected")
    seeded = stack.live_grants("acc_sandbox_ada")
    page.click("#connect-calendar")
    journey.allow_calendar("ada")

    # The flow ends on the choice ("Zendesk tasks" offered first); nothing written yet.
    expect(page.locator("#choose-card")).to_be_visible()
    expect(page.locator("#calendar_id")).to_have_value(calendar("ada", "tasks"))
    assert stack.events(calendar("ada", "work")) == {}
    # Read-only and deleted calendars are not offered.
    offered = page.locator("#calendar_id option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(offered) == [calendar("ada", "tasks"), calendar("ada", "work")]
    page.select_option("#calendar_id", calendar("ada", "work"))
    page.click("#confirm-calendar")

    expect(page.locator("#sync-status")).to_contain_text("1 of 1 open task on your calendar")
    journey.shot("agent-connected")
    ours = stack.live_grants("acc_sandbox_ada") - seeded
    assert len(ours) == 1
    work = stack.events(calendar("ada", "work"))
    assert [e["summary"] for e in work.values()] == ["#1 Renew Acme's contract"]

    # The live preview follows the form before anything is saved.
    page.check("#mode-timed")
    page.fill("#local_time", "09:30")
    page.fill("#duration_minutes", "45")
    expect(page.locator("#preview-when")).to_contain_text("09:30 to 10:15 (America/New_York)")
    page.check("#private")
    expect(page.locator("#preview-summary")).to_have_text("Zendesk task #4242")
    journey.shot("style-preview")
    page.click("#save-style")
    expect(page.locator(".flash.ok")).to_contain_text("Saved")
    (event,) = stack.events(calendar("ada", "work")).values()
    assert event["summary"] == "Zendesk task #1"
    assert event["start"] == "2030-05-01T13:30:00Z"  # 09:30 in New York (EDT)
    assert event["event_private"] is True

    page.select_option("#calendar_id", calendar("ada", "tasks"))
    page.click("#switch-calendar")
    expect(page.locator("#calendar-name")).to_have_text("Zendesk tasks")
    journey.shot("switched")
    assert stack.events(calendar("ada", "work")) == {}
    assert len(stack.events(calendar("ada", "tasks"))) == 1

    page.click("#disconnect")
    expect(page.locator(".flash.ok")).to_contain_text("Disconnected")
    expect(page.locator("#connect-calendar")).to_be_visible()
    journey.shot("disconnected")
    assert stack.events(calendar("ada", "tasks")) == {}
    assert not ours & stack.live_grants("acc_sandbox_ada"), "the authorization must be revoked"


def test_agent_reconnects_after_revocation(journey: Journey) -> None:
    page, stack = journey.page, journey.stack
    journey.sign_in(NIA)
    page.click("#connect-calendar")
    journey.allow_calendar("bob")
    page.select_option("#calendar_id", calendar("bob", "work"))
    page.click("#confirm-calendar")
    expect(page.locator("#sync-status")).to_contain_text("1 of 1 open task on your calendar")
    stack.revoke_calendar("acc_sandbox_bob")
    # A task assigned meanwhile cannot be written: zdcal has lost access.
    ticket_id = stack.create_task(NIA, "2030-06-01T15:00:00Z", "Send the quote")
    stack.advance_zendesk(61)
    assert eventually(lambda: stack.mirrored(ticket_id))

    def agent_page_says_reconnect() -> bool:
        page.goto(stack.url + "/agent")
        return page.locator("#reconnect").count() == 1

    assert eventually(agent_page_says_reconnect)
    expect(page.locator("#status-reason")).to_contain_text(re.compile("lost|revoked"))
    journey.shot("needs-reconnect")
    page.click("#reconnect")
    journey.allow_calendar("bob")  # the same calendar account: repaired at once
    expect(page.locator("#sync-status")).to_contain_text("2 of 2 open tasks on your calendar")
    journey.shot("reconnected")
    assert sorted(e["summary"] for e in stack.events(calendar("bob")).values()) == [
        "#1 Renew Acme's contract", "#2 Send the quote"
    ]


def test_non_admin_is_refused_from_the_admin_page(journey: Journey) -> None:
    page = journey.page
    journey.sign_in(KENJI, as_admin=True)
    expect(page.locator("#error-title")).to_have_text("Zendesk admins only")
    journey.shot("admin-refused")
    response = page.goto(journey.stack.url + "/admin")
    assert response is not None
    assert response.status == 403


def test_admin_connects_an_account(chromium: Browser, tmp_path: Path, screenshots: Path) -> None:
    with open_stack(tmp_path, with_account=False,
                    tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack:
        context = chromium.new_context(viewport={"width": 1100, "height": 800})
        journey = Journey(stack, context.new_page(), screenshots)
        page = journey.page
        page.goto(stack.url + "/")
        page.click("#connect-link")
        page.fill("#subdomain", "sandbox")
        page.fill("#client_id", "zdcal")
        page.fill("#client_secret", "zdcal-sandbox-secret")
        page.click("summary")
        page.fill("#base_url", stack.sandbox.zendesk.base_url)
        journey.shot("connect-form")
        page.click("#connect")
        page.check(f"input[name=user_id][value='{ADMIN}']")
        journey.shot("zendesk-consent")
        page.click("#allow")
        expect(page.locator("#backfill-state")).to_contain_text("done", timeout=20_000)
        expect(page.locator("#webhook")).to_have_text("present")
        expect(page.locator("#trigger")).to_have_text("present")
        journey.shot("admin-page")
        state = stack.zd.get("/_sandbox/state").json()
        assert len(state["webhooks"]) == 1
        assert len(state["triggers"]) == 1
        assert state["webhooks"][0]["endpoint"].startswith(stack.url + "/webhooks/zendesk/")

        # Then an agent connects, and a new task reaches the calendar through the webhook.
        agent = chromium.new_context().new_page()
        agent.goto(stack.url + "/?account=sandbox")
        agent.click("#signin")
        agent.check(f"input[name=user_id][value='{NIA}']")
        agent.click("#allow")
        agent.click("#connect-calendar")
        agent.check("input[name=account_id][value='acc_sandbox_ada']")
        agent.click("button[value=allow]")
        agent.select_option("#calendar_id", calendar("ada", "work"))
        agent.click("#confirm-calendar")
        expect(agent.locator("#sync-status")).to_contain_text("1 of 1 open task")
        stack.create_task(NIA, "2030-06-01T15:00:00Z", "Send the quote")
        assert eventually(lambda: len(stack.events(calendar("ada"))) == 2)

        page.reload()
        expect(page.locator("#agents")).to_contain_text("Nia Agent")
        page.click("#verify")
        expect(page.locator(".flash.ok")).to_contain_text("Verify started")
        journey.shot("admin-after-verify")
        context.close()
