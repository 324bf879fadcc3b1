"""Microsoft 365, directly, in headless Chromium: an agent offered Cronofy and Outlook
connects Outlook (PKCE through the simulated Microsoft sign-in page), chooses the
calendar, and their task is an event there; the style form says Outlook keeps one
reminder; then they move the event in Outlook, Graph notifies zdcal's receiver and the
task's due date follows in Zendesk. Screenshots at 1280 px and at Zendesk's 320 px
sidebar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from test_browser_agent_pages import journey_on, shoot
from web_stack import NIA, eventually, open_stack

pytestmark = pytest.mark.browser

USER = "agent@contoso.example"  # the simulator's default mailbox
DAY = datetime.now(UTC).date() + timedelta(days=60)
"""The task's due date: inside the window zdcal reads Outlook's changes over (it is set
from today, and the simulated Graph runs on the machine's clock here)."""


def test_agent_connects_outlook_and_a_move_in_outlook_changes_the_due_date(
    chromium: Browser, tmp_path: Path, screenshots: Path
) -> None:
    tasks = [(NIA, f"{DAY}T17:00:00Z", "Renew the contract")]
    with (
        open_stack(tmp_path, tasks=tasks, microsoft=True) as stack,
        journey_on(chromium, stack, screenshots) as journey,
    ):
        assert stack.sandbox.microsoft is not None
        graph = httpx.Client(base_url=stack.sandbox.microsoft.base_url, timeout=30)
        with graph:
            page = journey.page
            journey.sign_in(NIA)
            expect(page.locator("#connect-calendar")).to_be_visible()  # Cronofy, as before
            expect(page.locator("#connect-microsoft")).to_have_text(
                "Connect Outlook (Microsoft 365)")
            shoot(journey, "microsoft-offered")
            page.click("#connect-microsoft")

            # Microsoft's sign-in page (the simulator's): pick the account.
            expect(page.locator("h1")).to_have_text("Pick an account")
            journey.shot("microsoft-sign-in")
            page.locator(f'button[value="{USER}"]').click()

            expect(page.locator("#choose-card")).to_be_visible()
            offered = page.locator("#calendar_id option").evaluate_all(
                "os => os.map(o => o.textContent.trim())")
            # The calendar shared read-only with the agent is not offered.
            assert not any("Team" in o for o in offered), offered
            assert len(offered) == 2
            shoot(journey, "microsoft-choose")
            assert _events(graph) == []  # nothing written before the agent confirms
            page.click("#confirm-calendar")
            expect(page.locator("#served-by")).to_contain_text("Microsoft")
            expect(page.locator("#sync-status")).to_contain_text(
                "1 of 1 open task on your calendar")
            expect(page.locator("#one-reminder")).to_contain_text("keeps one reminder")
            shoot(journey, "microsoft-connected")

            (event,) = _events(graph)
            assert event["isAllDay"]
            assert event["start"]["dateTime"].startswith(f"{DAY}T00:00:00")
            assert "/agent/tickets/1" in event["body"]["content"]
            # The agent drags it two days later in Outlook.
            later, after = DAY + timedelta(days=2), DAY + timedelta(days=3)
            zone = event["originalStartTimeZone"]
            moved = graph.patch(f"/_sandbox/events/{event['id']}", json={
                "start": {"dateTime": f"{later}T00:00:00", "timeZone": zone},
                "end": {"dateTime": f"{after}T00:00:00", "timeZone": zone}})
            assert moved.status_code == 200, moved.text
            assert eventually(lambda: _due_at(stack.zd, 1).startswith(str(later)), timeout=20)
            (moved_event,) = _events(graph)
            assert moved_event["changeKey"] == moved.json()["changeKey"], "no echo"

def _events(graph: httpx.Client) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = graph.get(f"/_sandbox/users/{USER}/events").json()["value"]
    return listed


def _due_at(zd: httpx.Client, ticket_id: int) -> str:
    return str(zd.get(f"/api/v2/tickets/{ticket_id}").json()["ticket"]["due_at"] or "")
