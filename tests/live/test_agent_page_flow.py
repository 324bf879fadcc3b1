"""End to end: a person changes a task on the simulated Zendesk's agent page, opened
from the event's own link; the trigger fires a signed webhook at ``zdcal serve`` and the
calendar event follows, as in the demo."""

from __future__ import annotations

import re

import httpx
from live_support import Live, eventually
from world import KENJI, NIA, calendar, due

NIA_CAL, KENJI_CAL = calendar("ada"), calendar("bob")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def deliveries_for(live: Live, ticket_id: int) -> list[dict[str, object]]:
    records = live.world.zd.get("/_sandbox/deliveries").json()["deliveries"]
    return [r for r in records if r["ticket_id"] == ticket_id]


def test_an_edit_on_the_agent_page_reaches_the_calendar(live: Live) -> None:
    world = live.world
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    ticket = world.create_task(NIA, due("2030-04-01"), "Page task")
    eventually(lambda: len(world.events(NIA_CAL)) == 1)
    (event,) = world.events(NIA_CAL).values()
    link = event["url"]
    assert link == f"{world.sandbox.zendesk.base_url}/agent/tickets/{ticket}"
    delivered_before = len(deliveries_for(live, ticket))

    with httpx.Client(timeout=30) as browser:
        page = browser.get(link)  # the event's link opens the ticket on the agent page
        assert page.status_code == 200
        assert "Page task" in page.text
        token = TOKEN.search(page.text)
        assert token is not None
        form = {"csrf_token": token.group(1), "subject": "Page task", "type": "task",
                "status": "open", "assignee_id": str(NIA), "due_date": "2030-04-09",
                "due_time": ""}
        assert browser.post(link, data=form).status_code == 303
        eventually(lambda: [e["start"] for e in world.events(NIA_CAL).values()]
                   == ["2030-04-09"])

        # Reassigning on the page moves the event to the new assignee's calendar.
        assert browser.post(link, data={**form, "assignee_id": str(KENJI)}).status_code == 303
        eventually(lambda: not world.events(NIA_CAL) and len(world.events(KENJI_CAL)) == 1)

    records = deliveries_for(live, ticket)
    assert len(records) == delivered_before + 2
    eventually(lambda: all(r["final_status"] == "delivered" for r in deliveries_for(live, ticket)))
