"""Facts of real Zendesk ticket traffic, stated as small fixtures, and the simulator held
to each of them: a simulator change that drifts from reality fails here.

Sources: "cassette X" is tests/test_api/betamax/X in github.com/facetoe/zenpy (real
Zendesk API traffic recorded by the zenpy client's test suite); "OAS" is Zendesk's
OpenAPI file (/work/shared/reference/zendesk-support-oas.yaml). The facts are restated
here in our own words and values, not copied.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory, assert_matches_schema

INCREMENTAL = "/api/v2/incremental/tickets/cursor.json"
SEARCH_EXPORT = "/api/v2/search/export"

# --- Recorded facts ----------------------------------------------------------------------

# generated_timestamp: absent from every ticket of show (GET tickets/{id}), show_many,
# create (POST tickets) and update (PUT tickets/{id}) answers; cassettes
# TestTicketCreateUpdateDelete.test_single_object_creation-create-single.json,
# TestTicketCreateUpdateDelete.test_single_object_update-update-single.json,
# TestTicketsPagination.test_pagination.json. An integer on every incremental export row
# (TicketsIncrementalTest.test_pagination.json). One create answered 0
# (TestAttachmentUpload.test_redact_attachment-upload-single.json).
STAMP_ABSENT_FROM = ("create", "show", "update", "show_many", "search_export")
STAMP_ON_CREATE_ONCE_RECORDED = 0

# Incremental export page: these keys, before_cursor null on a page read from start_time=0,
# one ticket on each per_page=1 page until the end (TicketsIncrementalTest.test_pagination
# .json). The cursor names a position "<generated_timestamp>.0||<ticket id>|", so a ticket
# that changes while the export is paged comes again on a later page.
INCREMENTAL_PAGE_KEYS = {
    "tickets", "after_url", "after_cursor", "before_url", "before_cursor", "end_of_stream",
}
RECORDED_INCREMENTAL_CURSOR = ("MTY5NTA1MjY2My4wfHwyOHw=", "1695052663.0||28|")

# Search export page: these keys, meta.before_cursor and links.prev null, newest created
# first and ties by id ascending; the cursor says so: {"field":"created_at","desc":true,
# "tieBreakField":"id","tieBreakDesc":false,...} (TestUserSearchExportApi.
# test_cbp_small_iterations.json and test_cbp_large_block.json). Those requests send
# `type:user` in the query AND filter[type]=user and are answered 200.
SEARCH_EXPORT_PAGE_KEYS = {"results", "facets", "meta", "links"}
SEARCH_EXPORT_META_KEYS = {"has_more", "after_cursor", "before_cursor"}
RECORDED_SEARCH_EXPORT_SORT = {"field": "created_at", "desc": True,
                               "tieBreakField": "id", "tieBreakDesc": False}

# PUT deleted_tickets/{id}/restore: 200, body "{}", JSON content type
# (TestDeletedTickets.test_delete_and_restore.json).
RESTORE_ANSWER = (200, "{}", "application/json")

# DELETE deleted_tickets/{id}: 200 with a job_status "queued"; job_statuses/{id} later
# "completed" with results {"success": true}; restore afterwards: 404 RecordNotFound
# (TestDeletedTickets.test_permanently_delete.json).
PERMANENT_DELETE_JOB = {"status": "queued", "total": None, "results": None}
PERMANENT_DELETE_DONE = {"status": "completed", "results": {"success": True}}
NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}

# A permanently deleted ticket in the incremental export (tickets 465, 934, 1403 of
# TicketsIncrementalTest.test_pagination.json; 4034 of test_get_values.json).
SCRUBBED_ROW = {
    "subject": "SCRUBBED", "raw_subject": "SCRUBBED", "description": "X",
    "status": "deleted", "type": None, "assignee_id": None, "due_at": None, "tags": [],
}

# Deleting bumps generated_timestamp but not updated_at: deleted export rows carry an
# updated_at earlier than their generated_timestamp (ticket 4034 of
# TicketsIncrementalTest.test_get_values.json: updated 2023-10-24T04:19:53Z, generated
# 1700716703, a month later).

# time_zone is an IANA id for some users, a Rails name for others; iana_time_zone is the
# IANA id either way (TestDeletedTickets.test_delete_and_restore.json;
# TestUserSearchExportApi.test_cbp_large_block.json).
RECORDED_USER_ZONES = [
    ("America/New_York", "America/New_York"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
]


# --- The simulator against them ----------------------------------------------------------


def export_all(sim: Sim, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of one incremental export read."""
    pages = []
    while True:
        body = sim.admin.get(INCREMENTAL, params=params).json()
        pages.append(body)
        if body["end_of_stream"]:
            return pages
        params = {"cursor": body["after_cursor"], "per_page": params.get("per_page", 1000)}


def test_generated_timestamp_is_sent_by_the_incremental_export_only(sim: Sim) -> None:
    created = sim.admin.post("/api/v2/tickets.json", json={"ticket": {
        "subject": "s", "type": "task", "assignee_id": 1002, "comment": {"body": "b"}}})
    ticket_id = created.json()["ticket"]["id"]
    answers = {
        "create": created.json()["ticket"],
        "show": sim.agent.get(f"/api/v2/tickets/{ticket_id}.json").json()["ticket"],
        "update": sim.admin.put(f"/api/v2/tickets/{ticket_id}.json",
                                json={"ticket": {"priority": "low"}}).json()["ticket"],
        "show_many": sim.agent.get("/api/v2/tickets/show_many.json",
                                   params={"ids": str(ticket_id)}).json()["tickets"][0],
        "search_export": sim.agent.get(SEARCH_EXPORT, params={
            "query": "ticket_type:task", "filter[type]": "ticket"}).json()["results"][0],
    }
    assert tuple(answers) == STAMP_ABSENT_FROM
    assert [name for name, t in answers.items() if "generated_timestamp" in t] == []
    sim.advance(120)
    (page,) = export_all(sim, {"start_time": 0})
    assert all(isinstance(t["generated_timestamp"], int) for t in page["tickets"])
    assert page["tickets"]


def test_the_zero_knob_sends_generated_timestamp_0_as_one_recorded_create_did(
    make_sim: SimFactory,
) -> None:
    sim = make_sim(ZendeskSimConfig(zero_generated_timestamp=True))
    created = sim.create_ticket(subject="s")
    assert created["generated_timestamp"] == STAMP_ON_CREATE_ONCE_RECORDED
    shown = sim.agent.get(f"/api/v2/tickets/{created['id']}").json()
    assert shown["ticket"]["generated_timestamp"] == STAMP_ON_CREATE_ONCE_RECORDED
    assert_matches_schema(shown, "TicketResponse")
    sim.advance(120)
    (page,) = export_all(sim, {"start_time": 0})
    assert page["tickets"][0]["generated_timestamp"] > 0


def test_incremental_pages_have_the_recorded_shape_and_are_never_empty_mid_stream(
    make_sim: SimFactory,
) -> None:
    sim = make_sim(ZendeskSimConfig(incremental_exports_per_minute=1000))
    made = [sim.create_ticket(subject=f"t{n}")["id"] for n in range(6)]
    # Changes that supersede earlier log entries: skipped entries must not leave a page
    # empty before the end of the stream.
    for ticket_id in made[:4]:
        sim.admin.put(f"/api/v2/tickets/{ticket_id}", json={"ticket": {"priority": "high"}})
    sim.advance(120)
    pages = export_all(sim, {"start_time": 0, "per_page": 1})
    assert pages[0]["before_cursor"] is None
    for page in pages:
        assert set(page) == INCREMENTAL_PAGE_KEYS
    assert all(len(p["tickets"]) == 1 for p in pages[:-1])
    assert sorted(t["id"] for p in pages for t in p["tickets"]) == made
    encoded, decoded = RECORDED_INCREMENTAL_CURSOR
    assert base64.b64decode(encoded).decode() == decoded  # the fact the design rests on


def test_a_ticket_changed_while_the_export_is_paged_appears_again_later(
    make_sim: SimFactory,
) -> None:
    sim = make_sim(ZendeskSimConfig(incremental_exports_per_minute=1000))
    first = sim.create_ticket(subject="first")
    sim.create_ticket(subject="second")
    sim.advance(120)
    page_one = sim.admin.get(INCREMENTAL, params={"start_time": 0, "per_page": 1}).json()
    assert [t["id"] for t in page_one["tickets"]] == [first["id"]]
    sim.admin.put(f"/api/v2/tickets/{first['id']}", json={"ticket": {"status": "pending"}})
    sim.advance(120)
    rest = export_all(sim, {"cursor": page_one["after_cursor"], "per_page": 1})
    later = [(t["id"], t["status"]) for p in rest for t in p["tickets"]]
    assert later[-1] == (first["id"], "pending")
    assert page_one["tickets"][0]["status"] == "new"  # as it was when that page was read


def test_search_export_has_the_recorded_shape_and_order(sim: Sim) -> None:
    older = sim.create_ticket(type="task", assignee_id=1002)
    sim.advance(10)
    newer = [sim.create_ticket(type="task", assignee_id=1002) for _ in range(2)]
    params: dict[str, Any] = {"query": "ticket_type:task", "filter[type]": "ticket",
                              "page[size]": 1}
    seen = []
    while True:
        body = sim.agent.get(SEARCH_EXPORT, params=params).json()
        assert set(body) == SEARCH_EXPORT_PAGE_KEYS
        assert set(body["meta"]) == SEARCH_EXPORT_META_KEYS
        assert body["meta"]["before_cursor"] is None
        assert body["links"]["prev"] is None
        seen += [r["id"] for r in body["results"]]
        if not body["meta"]["has_more"]:
            break
        params["page[after]"] = body["meta"]["after_cursor"]
    # The recorded sort applied to what was made (a stable sort: tie-break first).
    by_id = sorted([older, *newer], key=lambda t: int(t["id"]),
                   reverse=bool(RECORDED_SEARCH_EXPORT_SORT["tieBreakDesc"]))
    ordered = sorted(by_id, key=lambda t: str(t["created_at"]),
                     reverse=bool(RECORDED_SEARCH_EXPORT_SORT["desc"]))
    assert seen == [t["id"] for t in ordered]
    assert seen[-1] == older["id"]


def test_search_export_accepts_the_type_in_the_query_as_zenpy_sends_it(sim: Sim) -> None:
    task = sim.create_ticket(type="task", assignee_id=1002)
    answer = sim.agent.get(SEARCH_EXPORT, params={
        "query": "type:ticket ticket_type:task", "filter[type]": "ticket"})
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["results"]] == [task["id"]]
    assert_matches_schema(answer.json(), "SearchExportResponse")


def test_restore_answers_an_empty_json_object(sim: Sim) -> None:
    ticket = sim.create_ticket()
    sim.admin.delete(f"/api/v2/tickets/{ticket['id']}")
    restored = sim.admin.put(f"/api/v2/deleted_tickets/{ticket['id']}/restore.json")
    status, body, media_type = RESTORE_ANSWER
    assert restored.status_code == status
    assert restored.text == body
    assert restored.headers["content-type"].startswith(media_type)


def test_permanent_delete_queues_a_job_scrubs_the_ticket_and_forbids_restore(
    sim: Sim,
) -> None:
    ticket = sim.create_ticket(type="task", assignee_id=1002, subject="Secret plans",
                               due_at="2030-04-01T17:00:00Z", tags=["vip"])
    sim.admin.delete(f"/api/v2/tickets/{ticket['id']}")
    purge = sim.admin.delete(f"/api/v2/deleted_tickets/{ticket['id']}.json")
    assert purge.status_code == 200
    assert_matches_schema(purge.json(), "JobStatusResponse")
    job = purge.json()["job_status"]
    assert {k: job[k] for k in PERMANENT_DELETE_JOB} == PERMANENT_DELETE_JOB
    done = sim.admin.get(f"/api/v2/job_statuses/{job['id']}.json")
    assert_matches_schema(done.json(), "JobStatusResponse")
    assert {k: done.json()["job_status"][k] for k in PERMANENT_DELETE_DONE} == (
        PERMANENT_DELETE_DONE
    )
    again = sim.admin.put(f"/api/v2/deleted_tickets/{ticket['id']}/restore.json")
    assert (again.status_code, again.json()) == (404, NOT_FOUND)
    assert sim.agent.get("/api/v2/deleted_tickets.json").json()["deleted_tickets"] == []
    sim.advance(120)
    (page,) = export_all(sim, {"start_time": 0})
    (row,) = [t for t in page["tickets"] if t["id"] == ticket["id"]]
    assert {k: row[k] for k in SCRUBBED_ROW} == SCRUBBED_ROW
    assert row["updated_at"] == ticket["updated_at"]


def test_deleting_bumps_generated_timestamp_but_not_updated_at(sim: Sim) -> None:
    ticket = sim.create_ticket()
    stamp = sim.generated_timestamp(ticket["id"])
    sim.advance(90)
    sim.admin.delete(f"/api/v2/tickets/{ticket['id']}")
    sim.advance(120)
    (page,) = export_all(sim, {"start_time": 0})
    (row,) = [t for t in page["tickets"] if t["id"] == ticket["id"]]
    assert row["status"] == "deleted"
    assert row["updated_at"] == ticket["updated_at"]
    assert row["generated_timestamp"] >= stamp + 90


def test_user_time_zone_comes_in_both_recorded_forms(sim: Sim) -> None:
    sim.control("POST", "/seed", {"users": [
        {"id": 3001, "name": "Iana Style", "email": "iana@example.com", "role": "agent",
         "iana_time_zone": "America/New_York", "time_zone_style": "iana"},
        {"id": 3002, "name": "Rails Style", "email": "rails@example.com", "role": "agent",
         "iana_time_zone": "America/Los_Angeles"},
    ]})
    users = sim.agent.get("/api/v2/users/show_many.json", params={"ids": "3001,3002"}).json()
    assert [(u["time_zone"], u["iana_time_zone"]) for u in users["users"]] == (
        RECORDED_USER_ZONES
    )
    assert_matches_schema(users, "UsersResponse")
    refused = sim.anonymous.post("/_sandbox/seed", json={"users": [
        {"name": "Odd", "email": "odd@example.com", "time_zone_style": "klingon"}]})
    assert refused.status_code == 422
    assert json.loads(refused.text)["details"]["time_zone_style"]
