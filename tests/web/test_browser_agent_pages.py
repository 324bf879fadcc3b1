"""The agent's page in headless Chromium, at 1280 px and at Zendesk's 320 px sidebar: the
choice that ends the connect flow, the task list, failures in plain words (retried when
announced, by the live worker) and the preview without JavaScript."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from test_browser_journeys import Journey, eventually
from web_stack import NIA, Stack, calendar, open_stack

from zdcal.clock import SystemClock

pytestmark = pytest.mark.browser

DUE = "2030-05-01T15:00:00Z"
NEW_YORK = ZoneInfo("America/New_York")  # Nia's zone in the simulator's seed
WIDE, SIDEBAR = 1280, 320


def shoot(journey: Journey, name: str) -> None:
    """Screenshots at both widths; at 320 px nothing may be wider than the sidebar."""
    page = journey.page
    page.set_viewport_size({"width": WIDE, "height": 900})
    journey.shot(f"{name}-{WIDE}")
    page.set_viewport_size({"width": SIDEBAR, "height": 900})
    journey.shot(f"{name}-{SIDEBAR}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIDEBAR, f"{name}: the page is {width} px wide at {SIDEBAR} px"
    page.set_viewport_size({"width": WIDE, "height": 900})


@contextmanager
def journey_on(
    chromium: Browser, stack: Stack, folder: Path, *, javascript: bool = True
) -> Iterator[Journey]:
    context = chromium.new_context(viewport={"width": WIDE, "height": 900},
                                   java_script_enabled=javascript)
    try:
        yield Journey(stack, context.new_page(), folder)
    finally:
        context.close()


def link_calendar(journey: Journey) -> None:
    journey.sign_in(NIA)
    journey.page.click("#connect-calendar")
    journey.allow_calendar("ada")
    expect(journey.page.locator("#choose-card")).to_be_visible()


def all_events(stack: Stack) -> dict[str, dict[str, Any]]:
    return {**stack.events(calendar("ada", "work")), **stack.events(calendar("ada", "tasks"))}


def test_nothing_is_written_before_the_agent_chooses(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with (
        open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack,
        journey_on(chromium, stack, screenshots) as journey,
    ):
        page = journey.page
        link_calendar(journey)
        expect(page.locator("#calendar_id")).to_have_value(calendar("ada", "tasks"))
        expect(page.locator("#mode-all-day")).to_be_checked()  # the account's default
        expect(page.locator("#task-1")).to_contain_text("Waiting for your choice of calendar")
        shoot(journey, "choose")

        # The agent walks away. Syncs run (the worker sweeps every second): a new task
        # reaches the mirror, and still nothing is written for them.
        ticket = stack.create_task(NIA, "2030-06-01T15:00:00Z", "Send the quote")
        stack.advance_zendesk(61)
        assert eventually(lambda: stack.mirrored(ticket))
        time.sleep(2.5)
        assert all_events(stack) == {}

        page.check("#mode-timed")
        page.fill("#local_time", "10:00")
        expect(page.locator("#preview-when")).to_contain_text("10:00 to 10:30")
        page.click("#confirm-calendar")
        expect(page.locator(".flash.ok")).to_contain_text("Your open tasks are in Zendesk tasks")
        expect(page.locator("#status-card")).to_have_class("card ok")
        expect(page.locator("#sync-status")).to_contain_text("2 of 2 open tasks on your calendar")
        expect(page.locator("#task-1")).to_contain_text("On your calendar.")
        expect(page.locator("#task-1")).to_contain_text("Due Wed 1 May 2030")
        shoot(journey, "connected")
        starts = sorted(e["start"] for e in stack.events(calendar("ada", "tasks")).values())
        assert starts == ["2030-05-01T14:00:00Z", "2030-06-01T14:00:00Z"]  # 10:00 EDT
        assert stack.events(calendar("ada", "work")) == {}


def test_a_failed_task_is_said_plainly_and_retried_when_announced(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    clock = SystemClock()
    # No sweep during the test: only a retry at the announced time can repair the event.
    with (
        open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")], clock=clock,
                   overrides={"sweep_interval_seconds": 3600}) as stack,
        journey_on(chromium, stack, screenshots) as journey,
    ):
        page = journey.page
        link_calendar(journey)
        page.select_option("#calendar_id", calendar("ada", "work"))
        page.click("#confirm-calendar")
        expect(page.locator("#task-1")).to_contain_text("On your calendar.")

        stack.cr.put("/_sandbox/faults", json={"error_rate": 1.0}).raise_for_status()
        page.check("#private")
        page.click("#save-style")
        failed_at = datetime.now(UTC)
        expect(page.get_by_role("status")).to_contain_text("could not be changed yet")
        card = page.locator("#status-card")
        expect(card).to_have_class("card warn")
        retry = (failed_at + timedelta(minutes=1)).astimezone(NEW_YORK)
        expect(card).to_contain_text("Your calendar service did not answer.")
        expect(card).to_contain_text(re.compile(
            "zdcal tries again at (" + "|".join(
                f"{retry + timedelta(minutes=m):%H:%M}" for m in (-1, 0, 1)) + ")"
        ))
        for developer_words in ("Cronofy", "503", "/v1/batch", "UTC"):
            expect(card).not_to_contain_text(developer_words)
        expect(page.locator("#task-1")).to_have_class("task failed")
        expect(page.locator("#task-1")).to_contain_text(
            "Not updated on your calendar. Your calendar service did not answer."
        )
        colour = card.evaluate("c => getComputedStyle(c).borderLeftColor")
        assert colour == "rgb(173, 89, 24)", colour  # --warn, not --ok's green
        shoot(journey, "failed")
        (event,) = stack.events(calendar("ada", "work")).values()
        assert event["summary"] == "#1 Renew Acme's contract"

        # The calendar recovers; the retry time comes; nobody clicks anything.
        stack.cr.put("/_sandbox/faults", json={"error_rate": 0.0}).raise_for_status()
        clock.offset_seconds += 61

        def rewritten() -> bool:
            (event,) = stack.events(calendar("ada", "work")).values()
            return bool(event["summary"] == "Zendesk task #1")

        assert eventually(rewritten, timeout=15)
        page.reload()
        expect(page.locator("#status-card")).to_have_class("card ok")
        expect(page.locator("#last-error")).to_have_text("No problems.")
        expect(page.locator("#task-1")).to_contain_text("On your calendar.")


def test_the_task_list_is_paged_and_says_what_became_of_each(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    tasks = [(NIA, f"2030-05-{day:02d}T15:00:00Z", f"Follow up with customer {day}")
             for day in range(1, 29)] * 4  # 112 tasks, four due each day
    with (
        open_stack(tmp_path, tasks=tasks) as stack,
        journey_on(chromium, stack, screenshots) as journey,
    ):
        page = journey.page
        link_calendar(journey)
        page.click("#confirm-calendar")
        expect(page.locator("#sync-status")).to_contain_text("112 of 112 open tasks")
        (first_event, *_) = sorted(stack.events(calendar("ada", "tasks")).items(),
                                   key=lambda item: item[1]["start"])
        stack.cr.post("/_sandbox/events/change", json={
            "calendar_id": calendar("ada", "tasks"), "event_id": first_event[0], "deleted": True,
        }).raise_for_status()

        def kept_off() -> bool:
            page.reload()
            return page.locator(".task.kept-off").count() == 1

        assert eventually(kept_off)
        expect(page.locator("#tasks-summary")).to_contain_text("1\N{EN DASH}20 of 112 open tasks")
        expect(page.locator("#tasks-summary")).to_contain_text("1 kept off your calendar")
        expect(page.locator(".task")).to_have_count(20)
        expect(page.locator(".task.kept-off")).to_contain_text("you deleted its event")
        expect(page.locator(".task").first).to_contain_text("Due Wed 1 May 2030")
        expect(page.locator("#tasks-previous")).to_have_count(0)
        shoot(journey, "tasks-page-1")
        page.click("#tasks-next")
        expect(page.locator("#tasks-summary")).to_contain_text("21\N{EN DASH}40 of 112")
        expect(page.locator(".task").first).to_contain_text("Due Mon 6 May 2030")
        page.goto(stack.url + "/agent?page=99")  # past the end: the last page
        expect(page.locator("#tasks-summary")).to_contain_text("101\N{EN DASH}112 of 112")
        expect(page.locator(".task")).to_have_count(12)
        expect(page.locator(".task").last).to_contain_text("Due Tue 28 May 2030")
        expect(page.locator("#tasks-next")).to_have_count(0)
        expect(page.locator("#tasks-pager")).to_contain_text("Page 6 of 6")
        shoot(journey, "tasks-page-3")


def test_the_preview_without_javascript_is_a_page_and_no_url_holds_the_token(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with open_stack(tmp_path, tasks=[(NIA, DUE, "Renew Acme's contract")]) as stack:
        urls: list[str] = []
        with journey_on(chromium, stack, screenshots, javascript=False) as journey:
            page = journey.page
            page.on("request", lambda request: urls.append(request.url))
            link_calendar(journey)
            page.click("#confirm-calendar")
            token = page.locator("input[name=csrf_token]").first.get_attribute("value")
            expect(page.locator("#preview-button")).to_be_visible()
            page.check("#mode-timed")
            page.fill("#local_time", "08:15")
            page.fill("#reminders", "10, 1440")
            page.click("#preview-button")
            expect(page).to_have_url(stack.url + "/agent/preview")
            expect(page.locator("h1")).to_have_text("How tasks would look")
            expect(page.locator("#preview-when")).to_contain_text("08:15 to 08:45")
            expect(page.locator("#preview-event")).to_contain_text(
                "10 min before, 1440 min before")
            expect(page.locator("#local_time")).to_have_value("08:15")
            shoot(journey, "preview-no-js")
            page.click("#back")
            expect(page).to_have_url(stack.url + "/agent")
            expect(page.locator("#mode-all-day")).to_be_checked()  # nothing was saved
            page.click("#preview-button")
            page.click("#save-style")
            expect(page.locator(".flash.ok")).to_contain_text("Saved")

        with journey_on(chromium, stack, screenshots) as journey:
            page = journey.page
            page.on("request", lambda request: urls.append(request.url))
            journey.sign_in(NIA)
            expect(page.locator("#preview-button")).to_be_hidden()  # the live preview serves
            page.check("#mode-timed")
            page.fill("#local_time", "07:45")
            expect(page.locator("#preview-when")).to_contain_text("07:45 to 08:15")
            live_token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        assert token
        assert live_token
        assert any("/agent/preview/fragment?" in url for url in urls)
        leaks = [url for url in urls if token in url or live_token in url or "csrf" in url]
        assert leaks == []
