"""Search: query terms zdcal uses, offset pages and the 1,000-result window, index lag,
and the cursor-based search export."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory

SEARCH = "/api/v2/search.json"
EXPORT = "/api/v2/search/export"


def ids(body: dict[str, Any]) -> list[int]:
    return [r["id"] for r in body["results"]]


def test_query_terms_zdcal_uses(sim: Sim) -> None:
    open_task = sim.create_ticket(type="task", assignee_id=1002)
    solved_task = sim.create_ticket(type="task", assignee_id=1002, status="solved")
    question = sim.create_ticket(type="question", assignee_id=1003)
    pending = sim.create_ticket(type="task", assignee_id=1003, status="pending")

    def search(query: str) -> list[int]:
        response = sim.agent.get(SEARCH, params={"query": query})
        assert response.status_code == 200, response.text
        return ids(response.json())

    assert search("type:ticket ticket_type:task status<solved") == [open_task["id"], pending["id"]]
    assert search("type:ticket status:open") == [open_task["id"], question["id"]]
    assert search("status>=pending") == [solved_task["id"], pending["id"]]
    assert search("type:ticket assignee:1003") == [question["id"], pending["id"]]
    assert search(f"updated_at>={open_task['updated_at']} ticket_type:task") == [
        open_task["id"],
        solved_task["id"],
        pending["id"],
    ]
    assert search("updated_at>2999-01-01") == []
    assert sim.agent.get(SEARCH, params={"query": "via:email"}).status_code == 400


def test_offset_pages_and_the_1000_result_window(sim: Sim) -> None:
    sim.control("POST", "/tickets/bulk", {"count": 1005, "assignee_ids": [1002]})
    first = sim.agent.get(SEARCH, params={"query": "ticket_type:task", "per_page": 100}).json()
    assert first["count"] == 1005
    assert len(first["results"]) == 100
    assert first["next_page"] is not None
    assert "page=2" in first["next_page"]
    last = sim.agent.get(SEARCH, params={"query": "ticket_type:task", "page": 10}).json()
    assert last["next_page"] is None
    beyond = sim.agent.get(SEARCH, params={"query": "ticket_type:task", "page": 11})
    assert beyond.status_code == 422
    assert beyond.json()["error"] == "invalid"


def test_index_lag_hides_changes_until_indexed(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(search_index_lag_seconds=120))
    ticket = sim.create_ticket(type="task", assignee_id=1002)
    query = {"query": "ticket_type:task status:open"}
    assert ids(sim.agent.get(SEARCH, params=query).json()) == []
    sim.advance(121)
    assert ids(sim.agent.get(SEARCH, params=query).json()) == [ticket["id"]]
    sim.admin.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "solved"}})
    # The old version stays findable until the change is indexed (or reindexed now).
    assert ids(sim.agent.get(SEARCH, params=query).json()) == [ticket["id"]]
    sim.control("POST", "/search/reindex")
    assert ids(sim.agent.get(SEARCH, params=query).json()) == []


def test_deleted_tickets_are_never_found(sim: Sim) -> None:
    ticket = sim.create_ticket(type="task")
    sim.admin.delete(f"/api/v2/tickets/{ticket['id']}")
    assert ids(sim.agent.get(SEARCH, params={"query": "ticket_type:task"}).json()) == []


def test_export_cursor_pages_newest_first_without_the_cap(sim: Sim) -> None:
    # Three batches, each created at one instant: newest batch first, ids ascending within.
    batches = []
    for _ in range(3):
        made = sim.control("POST", "/tickets/bulk", {"count": 400, "assignee_ids": [1002]})
        batches.append(list(range(made["first_id"], made["last_id"] + 1)))
        sim.advance(10)
    params: dict[str, Any] = {
        "query": "ticket_type:task status<solved",
        "filter[type]": "ticket",
        "page[size]": 500,
    }
    seen: list[int] = []
    pages = 0
    while True:
        body = sim.agent.get(EXPORT, params=params).json()
        seen += ids(body)
        pages += 1
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            break
        assert body["links"]["next"].startswith(sim.base_url + EXPORT)
        params["page[after]"] = body["meta"]["after_cursor"]
    assert pages == 3
    assert seen == batches[2] + batches[1] + batches[0]


def test_export_requires_filter_type_and_accepts_the_same_type_in_query(sim: Sim) -> None:
    task = sim.create_ticket(type="task", assignee_id=1002)
    assert sim.agent.get(EXPORT, params={"query": "status:open"}).status_code == 400
    both = sim.agent.get(
        EXPORT, params={"query": "type:ticket status:open", "filter[type]": "ticket"}
    )
    assert both.status_code == 200
    assert ids(both.json()) == [task["id"]]
    conflicting = sim.agent.get(
        EXPORT, params={"query": "type:user status:open", "filter[type]": "ticket"}
    )
    assert conflicting.status_code == 400


def test_export_has_its_own_rate_limit(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(search_exports_per_minute=2))
    params = {"query": "status:open", "filter[type]": "ticket"}
    assert sim.agent.get(EXPORT, params=params).status_code == 200
    assert sim.agent.get(EXPORT, params=params).status_code == 200
    refused = sim.agent.get(EXPORT, params=params)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
