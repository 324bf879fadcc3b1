"""Responses of every covered endpoint match the official OpenAPI schemas; error bodies
match the documented shapes."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Sim, assert_matches_schema, load_fixture

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}


def test_ticket_create_show_update_and_show_many_match_schemas(sim: Sim) -> None:
    created = sim.admin.post("/api/v2/tickets.json", json=load_fixture("ticket__create"))
    assert created.status_code == 201
    assert_matches_schema(created.json(), "TicketUpdateResponse")
    ticket = created.json()["ticket"]
    assert ticket["description"] == "Customer asked for a call back before the due date."
    assert ticket["url"] == f"{sim.base_url}/api/v2/tickets/{ticket['id']}.json"

    shown = sim.agent.get(f"/api/v2/tickets/{ticket['id']}")
    assert_matches_schema(shown.json(), "TicketResponse")

    updated = sim.admin.put(
        f"/api/v2/tickets/{ticket['id']}.json", json=load_fixture("ticket__update")
    )
    assert updated.status_code == 200
    assert_matches_schema(updated.json(), "TicketUpdateResponse")
    assert updated.json()["ticket"]["assignee_id"] == 1003

    many = sim.agent.get("/api/v2/tickets/show_many.json", params={"ids": f"{ticket['id']}"})
    assert_matches_schema(many.json(), "TicketsResponse")


def test_user_endpoints_match_schemas(sim: Sim) -> None:
    me = sim.agent.get("/api/v2/users/me.json").json()
    assert_matches_schema(me, "CurrentUserResponse")
    assert me["user"]["time_zone"] == "Eastern Time (US & Canada)"
    assert me["user"]["iana_time_zone"] == "America/New_York"
    assert_matches_schema(sim.agent.get("/api/v2/users/1003.json").json(), "UserResponse")
    many = sim.agent.get("/api/v2/users/show_many.json", params={"ids": "1001,1003,999"}).json()
    assert_matches_schema(many, "UsersResponse")
    assert [u["id"] for u in many["users"]] == [1001, 1003]


def test_list_users_filters_by_role_and_pages_both_ways(sim: Sim) -> None:
    admins = sim.agent.get("/api/v2/users.json", params={"role": "admin"}).json()
    assert_matches_schema(admins, "UsersResponse")
    assert [u["id"] for u in admins["users"]] == [1001]
    assert admins["count"] == 1
    staff = sim.agent.get("/api/v2/users", params=[("role[]", "agent"), ("role[]", "admin")])
    assert {u["role"] for u in staff.json()["users"]} == {"agent", "admin"}
    seen: list[int] = []
    params: dict[str, str] = {"role": "agent", "page[size]": "1"}
    while True:
        page = sim.agent.get("/api/v2/users", params=params).json()
        seen += [u["id"] for u in page["users"]]
        if not page["meta"]["has_more"]:
            break
        params["page[after]"] = page["meta"]["after_cursor"]
    assert seen == sorted(seen)
    assert 1002 in seen
    assert 1001 not in seen
    bad = sim.agent.get("/api/v2/users", params={"page[size]": "1", "page[after]": "x"})
    assert bad.status_code == 400
    assert sim.end_user.get("/api/v2/users").status_code == 403


def test_an_admin_can_change_a_users_role_and_agents_cannot(sim: Sim) -> None:
    promoted = sim.admin.put("/api/v2/users/1003.json", json={"user": {"role": "admin"}})
    assert promoted.status_code == 200
    assert_matches_schema(promoted.json(), "UserResponse")
    assert sim.admin.get("/api/v2/users/1003").json()["user"]["role"] == "admin"
    refused = sim.agent.put("/api/v2/users/1003", json={"user": {"role": "agent"}})
    assert refused.status_code == 403
    invalid = sim.admin.put("/api/v2/users/1003", json={"user": {"role": "owner"}})
    assert invalid.status_code == 422
    assert sim.admin.put("/api/v2/users/999", json={"user": {"role": "agent"}}).status_code == 404


def test_search_and_export_match_schemas(sim: Sim) -> None:
    sim.create_ticket(type="task", assignee_id=1002)
    found = sim.agent.get("/api/v2/search.json", params={"query": "type:ticket ticket_type:task"})
    assert_matches_schema(found.json(), "SearchResponse")
    exported = sim.agent.get(
        "/api/v2/search/export",
        params={"query": "ticket_type:task", "filter[type]": "ticket", "page[size]": 10},
    )
    assert_matches_schema(exported.json(), "SearchExportResponse")


def test_incremental_export_matches_schema(sim: Sim) -> None:
    sim.create_ticket(type="task")
    sim.advance(120)
    page = sim.admin.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0})
    assert_matches_schema(page.json(), "CursorBasedExportIncrementalTicketsResponse")
    assert len(page.json()["tickets"]) == 1


def test_triggers_and_categories_match_schemas(sim: Sim) -> None:
    categories = sim.admin.get("/api/v2/trigger_categories").json()
    assert_matches_schema(categories, "TriggerCategoriesResponse")
    category_id = categories["trigger_categories"][0]["id"]
    assert isinstance(category_id, str)
    webhook = sim.admin.post("/api/v2/webhooks", json=load_fixture("webhook__create")).json()
    body = load_fixture("trigger__create")
    body["trigger"]["category_id"] = category_id
    body["trigger"]["actions"][0]["value"][0] = webhook["webhook"]["id"]
    created = sim.admin.post("/api/v2/triggers.json", json=body)
    assert created.status_code == 201
    assert_matches_schema(created.json(), "TriggerResponse")
    assert isinstance(created.json()["trigger"]["id"], int)
    assert_matches_schema(sim.admin.get("/api/v2/triggers").json(), "TriggersResponse")


def test_deleted_tickets_and_token_match_schemas(sim: Sim) -> None:
    ticket = sim.create_ticket(subject="to delete")
    assert sim.admin.delete(f"/api/v2/tickets/{ticket['id']}").status_code == 204
    listed = sim.agent.get("/api/v2/deleted_tickets.json").json()
    assert_matches_schema(listed, "ListDeletedTicketsResponse")
    assert [t["id"] for t in listed["deleted_tickets"]] == [ticket["id"]]


def test_webhook_json_has_documented_fields_and_never_secrets(sim: Sim) -> None:
    created = sim.admin.post("/api/v2/webhooks", json=load_fixture("webhook__create"))
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert set(webhook) >= {
        "id",
        "name",
        "status",
        "subscriptions",
        "created_at",
        "created_by",
        "endpoint",
        "http_method",
        "request_format",
        "authentication",
    }
    assert len(webhook["id"]) == 26
    assert webhook["id"].isalnum()
    assert webhook["authentication"] == {"type": "bearer_token", "add_position": "header"}
    assert "receiver-bearer-secret" not in created.text
    shown = sim.admin.get(f"/api/v2/webhooks/{webhook['id']}")
    assert "receiver-bearer-secret" not in shown.text
    secret = sim.admin.get(f"/api/v2/webhooks/{webhook['id']}/signing_secret").json()
    assert secret["signing_secret"]["algorithm"] == "SHA256"
    assert secret["signing_secret"]["secret"] not in shown.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/tickets/1"),
        ("GET", "/api/v2/search.json?query=status:open"),
        ("POST", "/api/v2/webhooks"),
        ("GET", "/api/v2/users/1001"),
    ],
)
def test_missing_credentials_are_401_with_documented_body(sim: Sim, method: str, path: str) -> None:
    response = sim.anonymous.request(method, path)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_wrong_token_is_401_and_users_me_is_anonymous_without_credentials(sim: Sim) -> None:
    wrong = sim.client("admin@sandbox.example", "not-the-token")
    assert wrong.get("/api/v2/users/me.json").status_code == 401
    anonymous = sim.anonymous.get("/api/v2/users/me.json")
    assert anonymous.status_code == 200
    assert anonymous.json()["user"]["id"] is None
    assert anonymous.json()["user"]["role"] == "end-user"


def test_not_found_and_record_invalid_shapes(sim: Sim) -> None:
    missing = sim.agent.get("/api/v2/tickets/424242.json")
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND
    invalid = sim.admin.post(
        "/api/v2/tickets",
        json={"ticket": {"type": "chore", "status": "later", "comment": {"body": "x"}}},
    )
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    assert set(body["details"]) == {"type", "status"}
    assert body["details"]["type"][0]["error"] == "InvalidValue"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v2/webhooks"),
        ("GET", "/api/v2/triggers"),
        ("GET", "/api/v2/trigger_categories"),
        ("GET", "/api/v2/incremental/tickets/cursor.json?start_time=0"),
    ],
)
def test_admin_only_endpoints_refuse_agents_with_forbidden_shape(
    sim: Sim, method: str, path: str
) -> None:
    response = sim.agent.request(method, path)
    assert response.status_code == 403
    assert response.json()["error"]["title"] == "Forbidden"
    assert isinstance(response.json()["error"]["message"], str)


def test_end_users_cannot_read_tickets(sim: Sim) -> None:
    ticket = sim.create_ticket()
    assert sim.end_user.get(f"/api/v2/tickets/{ticket['id']}").status_code == 403


def test_every_api_response_carries_rate_limit_headers(sim: Sim) -> None:
    for response in (sim.agent.get("/api/v2/users/me"), sim.agent.get("/api/v2/tickets/999")):
        for header in (
            "X-Rate-Limit",
            "X-Rate-Limit-Remaining",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ):
            assert header in response.headers
    assert httpx.Headers(response.headers)["X-Rate-Limit"] == "700"
