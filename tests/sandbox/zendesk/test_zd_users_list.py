"""GET /api/v2/users: the account's agents and admins, filtered by role, page by page."""

from __future__ import annotations

from typing import Any

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory, assert_matches_schema

STAFF = {1001: "admin", 1002: "agent", 1003: "agent", 1004: "agent", 1005: "agent"}


def test_roles_filter_the_list_and_cursor_pages_reach_everyone(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(max_list_page_size=2))
    sim.control("POST", "/seed", {"users": [
        {"id": 1200, "name": "Gone Agent", "email": "gone@sandbox.example", "role": "agent",
         "active": False},
    ]})
    seen: dict[int, str] = {}
    params: dict[str, Any] = {"role[]": ["agent", "admin"], "page[size]": 2}
    pages = 0
    while True:
        response = sim.agent.get("/api/v2/users.json", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_matches_schema(body, "UsersResponse")
        assert_matches_schema(body, "Pagination")
        pages += 1
        seen.update((u["id"], u["role"]) for u in body["users"])
        if not body["meta"]["has_more"]:
            break
        params = {**params, "page[after]": body["meta"]["after_cursor"]}
    assert seen == STAFF  # no end-user, no deleted agent, everyone once, in id order
    assert list(seen) == sorted(seen)
    assert pages == 3
    admins = sim.admin.get("/api/v2/users", params={"role": "admin"}).json()
    assert [u["id"] for u in admins["users"]] == [1001]
    assert admins["count"] == 1  # offset style without page[size]


def test_end_users_may_not_list_and_unknown_roles_are_refused(sim: Sim) -> None:
    assert sim.end_user.get("/api/v2/users").status_code == 403
    assert sim.anonymous.get("/api/v2/users").status_code == 401
    refused = sim.admin.get("/api/v2/users", params={"role[]": "owner"})
    assert refused.status_code == 400
    bad_cursor = sim.admin.get("/api/v2/users", params={"page[size]": 2, "page[after]": "x"})
    assert bad_cursor.status_code == 400
