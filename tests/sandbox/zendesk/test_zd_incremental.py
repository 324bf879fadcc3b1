"""The cursor-based incremental ticket export."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory

EXPORT = "/api/v2/incremental/tickets/cursor.json"


def read_all(sim: Sim, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Every page until end_of_stream; returns tickets and the last after_cursor."""
    tickets: list[dict[str, Any]] = []
    while True:
        page = sim.admin.get(EXPORT, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        tickets += body["tickets"]
        if body["end_of_stream"]:
            return tickets, body["after_cursor"]
        params = {"cursor": body["after_cursor"], "per_page": params.get("per_page", 1000)}


def test_pages_to_end_of_stream_and_resumes_exactly(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(incremental_exports_per_minute=1000))
    sim.control("POST", "/tickets/bulk", {"count": 25, "assignee_ids": [1002, 1003]})
    sim.advance(120)
    tickets, cursor = read_all(sim, {"start_time": 0, "per_page": 10})
    assert len(tickets) == 25
    assert len({t["id"] for t in tickets}) == 25
    changed = tickets[3]["id"]
    sim.admin.put(f"/api/v2/tickets/{changed}", json={"ticket": {"status": "pending"}})
    sim.advance(120)
    again, _ = read_all(sim, {"cursor": cursor, "per_page": 10})
    assert [(t["id"], t["status"]) for t in again] == [(changed, "pending")]


def test_newest_minute_is_withheld_and_too_recent_start_time_is_422(sim: Sim) -> None:
    sim.create_ticket(subject="old")
    sim.advance(120)
    sim.create_ticket(subject="fresh")
    tickets, cursor = read_all(sim, {"start_time": 0})
    assert [t["subject"] for t in tickets] == ["old"]
    sim.advance(61)
    later, _ = read_all(sim, {"cursor": cursor})
    assert [t["subject"] for t in later] == ["fresh"]
    now = int(sim.control("GET", "/state")["clock"]["now"])
    too_recent = sim.admin.get(EXPORT, params={"start_time": now - 10})
    assert too_recent.status_code == 422
    assert too_recent.json()["error"] == "InvalidValue"


def test_deleted_tickets_included_unless_excluded(sim: Sim) -> None:
    kept = sim.create_ticket(subject="kept")
    gone = sim.create_ticket(subject="gone")
    sim.admin.delete(f"/api/v2/tickets/{gone['id']}")
    sim.advance(120)
    everything, _ = read_all(sim, {"start_time": 0})
    assert {(t["id"], t["status"]) for t in everything} == {
        (kept["id"], "new"),
        (gone["id"], "deleted"),
    }
    live, _ = read_all(sim, {"start_time": 0, "exclude_deleted": "true"})
    assert [t["id"] for t in live] == [kept["id"]]


def test_start_time_selects_by_generated_timestamp(sim: Sim) -> None:
    first = sim.create_ticket(subject="first")
    sim.advance(600)
    sim.create_ticket(subject="second")
    sim.advance(120)
    tickets, _ = read_all(sim, {"start_time": sim.generated_timestamp(first["id"]) + 300})
    assert [t["subject"] for t in tickets] == ["second"]


def test_own_rate_limit_of_ten_per_minute(sim: Sim) -> None:
    sim.advance(120)
    for _ in range(10):
        assert sim.admin.get(EXPORT, params={"start_time": 0}).status_code == 200
    refused = sim.admin.get(EXPORT, params={"start_time": 0})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Enforced but never announced: real Zendesk sends no zendesk-ratelimit-* header here.
    assert not any(name.startswith("zendesk-ratelimit") for name in refused.headers)
    sim.advance(int(refused.headers["Retry-After"]))
    allowed = sim.admin.get(EXPORT, params={"start_time": 0})
    assert allowed.status_code == 200
    assert not any(name.startswith("zendesk-ratelimit") for name in allowed.headers)


def test_bad_cursor_is_refused(sim: Sim) -> None:
    assert sim.admin.get(EXPORT, params={"cursor": "not-a-cursor"}).status_code == 400
