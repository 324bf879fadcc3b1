"""The agent page (/agent): a person's forms over the same ticket code as the API."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Receiver, Sim, SimFactory
from .test_zd_incremental import read_all
from .test_zd_webhooks_triggers import install

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
STORED_DUE = re.compile(r'id="stored-due-at">([^<]+)<')


class Person:
    """A browser-like client on the agent page: keeps cookies, sends the page's token."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.http = httpx.Client(base_url=sim.base_url, timeout=10)
        self.token = ""

    def open(self, path: str = "/agent/tasks") -> httpx.Response:
        page = self.http.get(path, follow_redirects=True)
        match = TOKEN.search(page.text)
        if match:
            self.token = match.group(1)
        return page

    def post(self, path: str, **fields: str) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.token, **fields})

    def create(self, **fields: str) -> int:
        self.open()
        answer = self.post("/agent/tasks", **{"description": "From the page", **fields})
        assert answer.status_code == 303, answer.text
        return int(answer.headers["location"].split("/agent/tickets/")[1].split("?")[0])

    def edit(self, ticket_id: int, **changes: str) -> httpx.Response:
        """Submit the edit form as the page fills it, with ``changes`` typed over it."""
        page = self.open(f"/agent/tickets/{ticket_id}")
        assert page.status_code == 200, page.text
        return self.post(f"/agent/tickets/{ticket_id}", **{**form_values(page.text), **changes})


def form_values(html: str) -> dict[str, str]:
    """The edit form's current values, read from the page as a browser would submit them."""
    (form,) = re.findall(r'<form method="post" action="[^"]*" id="edit">(.*?)</form>', html,
                         flags=re.DOTALL)
    values = dict(re.findall(r'<input id="(\w+)" name="\w+"(?: type="\w+")?(?: step="\d+")? '
                             r'value="([^"]*)"', form))
    for name, options in re.findall(r'<select id="(\w+)" name="\w+">(.*?)</select>', form,
                                    flags=re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    return values


def ticket(sim: Sim, ticket_id: int) -> dict[str, Any]:
    answer = sim.admin.get(f"/api/v2/tickets/{ticket_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()["ticket"]
    return body


@pytest.fixture
def person(sim: Sim) -> Person:
    return Person(sim)


def test_page_changes_fire_triggers_as_the_chosen_agent(
    sim: Sim, receiver: Receiver, person: Person
) -> None:
    install(sim, receiver.url)
    person.open()
    switched = person.post("/agent/working-as", user_id="1003")
    assert switched.status_code == 303
    ticket_id = person.create(subject="Call back", type="task", assignee_id="1002",
                              due_date="2030-05-01")
    created = ticket(sim, ticket_id)
    assert (created["type"], created["status"], created["assignee_id"]) == ("task", "open", 1002)
    assert created["due_at"] == "2030-05-01T12:00:00Z"  # date only: noon (assumptions.py)
    assert created["requester_id"] == 1003

    answer = person.edit(ticket_id, due_date="2030-05-03", due_time="09:15", assignee_id="1004")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith(f"/agent/tickets/{ticket_id}?notice=saved")
    changed = ticket(sim, ticket_id)
    assert (changed["due_at"], changed["assignee_id"]) == ("2030-05-03T09:15:00Z", 1004)

    records = sim.wait_deliveries(2)
    assert [r["final_status"] for r in records] == ["delivered", "delivered"]
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert [(b["ticket_id"], b["assignee"], b["actor"]) for b in bodies] == [
        (str(ticket_id), "1002", "1003"), (str(ticket_id), "1004", "1003"),
    ]
    page = person.open(f"/agent/tickets/{ticket_id}").text
    assert STORED_DUE.search(page).group(1) == "2030-05-03T09:15:00Z"  # type: ignore[union-attr]
    assert page.count('<span class="tag">delivered</span>') == 2

    # The incremental export sees the page's changes like any other.
    sim.advance(120)
    exported, _ = read_all(sim, {"start_time": 0})
    assert [(t["id"], t["due_at"]) for t in exported] == [(ticket_id, "2030-05-03T09:15:00Z")]


def test_an_unchanged_form_changes_nothing(sim: Sim, receiver: Receiver, person: Person) -> None:
    install(sim, receiver.url)
    ticket_id = person.create(subject="Quiet", type="task", assignee_id="1002",
                              due_date="2030-05-01", due_time="16:45")
    before = ticket(sim, ticket_id)
    sim.advance(5)
    answer = person.edit(ticket_id)
    assert answer.headers["location"].endswith("?notice=unchanged")
    assert ticket(sim, ticket_id)["updated_at"] == before["updated_at"]
    assert len(sim.wait_deliveries(2, timeout=0.5)) == 1


def test_solve_then_delete(sim: Sim, person: Person) -> None:
    ticket_id = person.create(subject="Done soon", type="task", assignee_id="1002",
                              due_date="2030-05-01")
    assert person.edit(ticket_id, status="solved").status_code == 303
    assert ticket(sim, ticket_id)["status"] == "solved"
    person.open(f"/agent/tickets/{ticket_id}")
    deleted = person.post(f"/agent/tickets/{ticket_id}/delete")
    assert deleted.status_code == 303
    assert sim.admin.get(f"/api/v2/tickets/{ticket_id}").status_code == 404
    assert person.open(f"/agent/tickets/{ticket_id}").status_code == 404
    listed = sim.admin.get("/api/v2/deleted_tickets").json()["deleted_tickets"]
    assert [t["id"] for t in listed] == [ticket_id]
    assert person.post(f"/agent/tickets/{ticket_id}/delete").status_code == 404


def test_invalid_input_is_refused_with_every_reason_and_nothing_changes(
    sim: Sim, person: Person
) -> None:
    ticket_id = person.create(subject="Keep", type="task", assignee_id="1002",
                              due_date="2030-05-01")
    before = ticket(sim, ticket_id)
    answer = person.edit(ticket_id, assignee_id="1100", due_date="2030-02-30", status="bogus")
    assert answer.status_code == 422
    problems = re.findall(r"<li>(.*?)</li>", answer.text)
    assert sorted(problems) == [
        "Assignee: is not an agent", "Due date: 2030-02-30 12:00 is not a valid date",
        "Status: bogus is not valid",
    ]
    assert ticket(sim, ticket_id) == before
    time_only = person.edit(ticket_id, due_date="", due_time="10:00")
    assert time_only.status_code == 422
    assert "pick a date for the due time" in time_only.text
    no_description = person.post("/agent/tasks", subject="x", description="")
    assert no_description.status_code == 422
    assert "Description: cannot be blank" in no_description.text
    assert person.open("/agent/tickets/999").status_code == 404


def test_forms_without_the_page_token_are_refused(sim: Sim, person: Person) -> None:
    ticket_id = person.create(subject="Guarded", type="task", assignee_id="1002")
    before = ticket(sim, ticket_id)
    forged = httpx.post(f"{sim.base_url}/agent/tickets/{ticket_id}", data={"subject": "Owned"})
    assert forged.status_code == 403
    # A token from another person's page does not fit this person's cookie.
    other = Person(sim)
    other.open()
    person.token = other.token
    assert person.post(f"/agent/tickets/{ticket_id}", subject="Owned").status_code == 403
    assert person.post(f"/agent/tickets/{ticket_id}/delete").status_code == 403
    assert person.post("/agent/tasks", subject="Owned", description="x").status_code == 403
    assert person.post("/agent/working-as", user_id="1002").status_code == 403
    assert ticket(sim, ticket_id) == before
    assert sim.admin.get("/api/v2/tickets/show_many", params={"ids": "2"}).json()["count"] == 0


def test_everything_shown_is_escaped(sim: Sim, person: Person) -> None:
    ticket_id = person.create(subject='<script>alert("x")</script>', type="task",
                              description="<img src=x onerror=alert(1)>")
    listing = person.open().text
    page = person.open(f"/agent/tickets/{ticket_id}").text
    for html in (listing, page):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img src=x" not in page
    notice = person.open("/agent/tasks?notice=created&ticket=<b>1</b>").text
    assert 'id="notice"' not in notice


def test_page_requests_are_neither_faulted_nor_counted(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig())
    sim.control("PUT", "/faults", {"error_rate": 1.0})
    person = Person(sim)
    ticket_id = person.create(subject="Despite faults", type="task")
    assert person.open(f"/agent/tickets/{ticket_id}").status_code == 200
    assert sim.admin.get("/api/v2/users/me").status_code == 503  # the API is faulted
    assert sim.control("GET", "/stats")["by_route"] == {"GET /api/v2/users/me": 1}


def test_links_and_cookies_follow_a_mount_prefix(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(), prefix="/zd")
    person = Person(sim)
    page = person.open("/agent")
    assert page.url.path == "/zd/agent/tasks"
    assert f'action="{sim.base_url}/agent/tasks"' in page.text
    cookie = page.headers["set-cookie"]
    assert "Path=/zd/agent" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    ticket_id = person.create(subject="Mounted", type="task")
    assert ticket(sim, ticket_id)["subject"] == "Mounted"


def test_the_list_shows_tasks_or_every_ticket(sim: Sim, person: Person) -> None:
    task = sim.create_ticket(type="task", subject="A task", assignee_id=1002,
                             due_at="2030-01-02T03:04:05Z")
    question = sim.create_ticket(type="question", subject="A question")
    tasks = person.open().text
    assert f'id="ticket-{task["id"]}"' in tasks
    assert f'id="ticket-{question["id"]}"' not in tasks
    assert "2030-01-02T03:04:05Z" in tasks
    every = person.open("/agent/tasks?all=1").text
    assert f'id="ticket-{question["id"]}"' in every
    # A due time with seconds is shown with them, so an untouched form keeps it.
    assert person.edit(task["id"]).headers["location"].endswith("?notice=unchanged")
