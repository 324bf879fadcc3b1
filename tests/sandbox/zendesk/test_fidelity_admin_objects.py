"""The simulator against recordings of real Zendesk traffic for admin objects.

Every fact comes from ``tests/fixtures/zendesk/recorded__admin_objects.json``, which names
its source (a cassette of github.com/facetoe/zenpy, tests/test_api/betamax/). The facts
are restated there in our own fixture; nothing of the recordings is copied.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Receiver, Sim, SimFactory, assert_matches_schema, load_fixture
from .test_zd_webhooks_triggers import install

RECORDED: dict[str, Any] = load_fixture("recorded__admin_objects")
HEADERS = RECORDED["rate_limit_headers"]


def new_webhook(sim: Sim, name: str, **fields: Any) -> str:
    body = load_fixture("webhook__create")
    body["webhook"].update(name=name, **fields)
    created = sim.admin.post("/api/v2/webhooks", json=body)
    assert created.status_code == 201, created.text
    webhook_id: str = created.json()["webhook"]["id"]
    return webhook_id


def new_trigger(sim: Sim, title: str, webhook_id: str) -> int:
    body = load_fixture("trigger__create")
    del body["trigger"]["category_id"]
    body["trigger"]["title"] = title
    body["trigger"]["actions"][0]["value"][0] = webhook_id
    created = sim.admin.post("/api/v2/triggers", json=body)
    assert created.status_code == 201, created.text
    trigger_id: int = created.json()["trigger"]["id"]
    return trigger_id


def recorded_request(sim: Sim, request: str) -> httpx.Response:
    """The request a recorded fact is about, sent to the simulator."""
    method, path = request.split(" ", 1)
    if path == "/api/v2/incremental/tickets/cursor":
        sim.advance(120)
        return sim.admin.get(path, params={"start_time": 0})
    if path == "/api/v2/search/export":
        return sim.admin.get(path, params={"query": "status:open", "filter[type]": "ticket"})
    if method == "POST" and path == "/api/v2/webhooks":
        return sim.admin.post(path, json=load_fixture("webhook__create"))
    return sim.admin.request(method, path)


@pytest.mark.parametrize("fact", HEADERS["per_endpoint"], ids=lambda f: f["request"])
def test_rate_limit_headers_are_sent_where_real_zendesk_sends_them(
    sim: Sim, fact: dict[str, Any]
) -> None:
    response = recorded_request(sim, fact["request"])
    assert response.is_success, response.text
    names = {name.lower() for name in response.headers}
    if fact["family"] == "account":
        assert set(HEADERS["account_family_current"]) <= names
        assert response.headers["x-rate-limit"] == "700"
        assert not any(name.startswith(fact["never"]) for name in names)
    else:
        limit_headers = {n for n in names if "rate" in n and "limit" in n}
        assert limit_headers == set(fact["only"])
        assert response.headers["x-rate-limit"] == fact["x_rate_limit"]


def test_webhooks_api_counts_its_own_budget_apart_from_the_account(sim: Sim) -> None:
    first = sim.admin.get("/api/v2/webhooks")
    second = sim.admin.get("/api/v2/webhooks")
    account = sim.admin.get("/api/v2/users/me")
    assert int(first.headers["x-rate-limit-remaining"]) == 99
    assert int(second.headers["x-rate-limit-remaining"]) == 98
    assert int(account.headers["x-rate-limit-remaining"]) == 699


def test_support_lists_page_by_cursor_like_the_recording(make_sim: SimFactory) -> None:
    fact = RECORDED["support_cursor_page"]
    sim = make_sim(ZendeskSimConfig(max_list_page_size=4))
    webhook_id = new_webhook(sim, "target")
    created = [new_trigger(sim, f"Trigger {n}", webhook_id) for n in range(7)]
    seen: list[int] = []
    params: dict[str, Any] = {"page[size]": 3}
    pages = []
    while True:
        page = sim.admin.get("/api/v2/triggers.json", params=params).json()
        assert_matches_schema(page, "TriggersResponse")
        assert_matches_schema(page, "Pagination")
        assert set(page["meta"]) == set(fact["meta_keys"])
        assert set(page["links"]) == set(fact["links_keys"])
        pages.append(page)
        seen += [t["id"] for t in page["triggers"]]
        if not page["meta"]["has_more"]:
            break
        params = {"page[size]": 3, "page[after]": page["meta"]["after_cursor"]}
    assert seen == created
    assert len(pages) == 3
    last = pages[-1]
    assert last["meta"]["after_cursor"] is not None  # present on the last page too
    assert last["links"]["next"] is not None
    beyond = sim.admin.get(last["links"]["next"]).json()
    assert beyond["triggers"] == []
    assert beyond["meta"]["has_more"] is False
    # A page size over the maximum is served at the maximum.
    capped = sim.admin.get("/api/v2/triggers.json", params={"page[size]": 1000}).json()
    assert len(capped["triggers"]) == 4
    back = sim.admin.get(pages[1]["links"]["prev"]).json()
    assert [t["id"] for t in back["triggers"]] == created[:3]


def test_support_lists_without_page_size_answer_offset_pages(make_sim: SimFactory) -> None:
    keys = RECORDED["support_cursor_page"]["without_page_size"]["keys"]
    sim = make_sim(ZendeskSimConfig(max_list_page_size=4))
    webhook_id = new_webhook(sim, "target")
    created = [new_trigger(sim, f"Trigger {n}", webhook_id) for n in range(5)]
    first = sim.admin.get("/api/v2/triggers.json").json()
    assert_matches_schema(first, "TriggersResponse")
    assert set(first) == {"triggers", *keys}
    assert first["count"] == 5
    assert [t["id"] for t in first["triggers"]] == created[:4]
    second = sim.admin.get(first["next_page"]).json()
    assert [t["id"] for t in second["triggers"]] == created[4:]
    assert second["next_page"] is None
    assert second["previous_page"] is not None


def test_trigger_categories_page_by_cursor(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(max_list_page_size=2))
    for n in range(4):
        body = {"trigger_category": {"name": f"Category {n}"}}
        assert sim.admin.post("/api/v2/trigger_categories", json=body).status_code == 200
    names: list[str] = []
    params: dict[str, Any] = {"page[size]": 100}
    while True:
        page = sim.admin.get("/api/v2/trigger_categories", params=params).json()
        assert_matches_schema(page, "TriggerCategoriesResponse")
        assert_matches_schema(page, "Pagination")
        assert len(page["trigger_categories"]) <= 2
        names += [c["name"] for c in page["trigger_categories"]]
        if not page["meta"]["has_more"]:
            break
        params = {"page[size]": 100, "page[after]": page["meta"]["after_cursor"]}
    assert names == ["Notifications", *(f"Category {n}" for n in range(4))]
    bad = sim.admin.get("/api/v2/trigger_categories", params={"page[size]": 2, "page[after]": "x"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "InvalidPaginationParameter"


def test_webhooks_page_like_the_recorded_webhooks_service(make_sim: SimFactory) -> None:
    fact = RECORDED["webhooks_cursor_page"]
    assert ZendeskSimConfig().max_list_page_size == fact["default_page_size"]
    sim = make_sim(ZendeskSimConfig(max_list_page_size=2))
    only = new_webhook(sim, "Only one")
    single = sim.admin.get("/api/v2/webhooks").json()
    assert single["meta"] == fact["single_page"]["meta"]
    assert ("links" in single) is fact["single_page"]["links_present"]
    created = [only] + [new_webhook(sim, f"Hook {n}") for n in range(4)]
    first = sim.admin.get("/api/v2/webhooks").json()  # no page[size]: the default size
    assert [w["id"] for w in first["webhooks"]] == created[:2]
    assert set(first["meta"]) == {"has_more", "after_cursor"}
    assert set(first["links"]) == {"next"}
    middle = sim.admin.get(first["links"]["next"]).json()
    assert set(middle["meta"]) == {"has_more", "after_cursor", "before_cursor"}
    assert set(middle["links"]) == {"next", "prev"}
    last = sim.admin.get(middle["links"]["next"]).json()
    assert last["meta"]["has_more"] is False
    assert set(last["meta"]) == {"has_more", "before_cursor"}
    assert set(last["links"]) == {"prev"}
    ids = [w["id"] for page in (first, middle, last) for w in page["webhooks"]]
    assert ids == created
    filtered = sim.admin.get("/api/v2/webhooks", params={"filter[name_contains]": "hook 3"})
    assert [w["name"] for w in filtered.json()["webhooks"]] == ["Hook 3"]


def test_webhook_put_replaces_the_whole_webhook_and_patch_does_not(sim: Sim) -> None:
    put_fact, patch_fact = RECORDED["webhook_put"], RECORDED["webhook_patch"]
    webhook_id = new_webhook(sim, "Replaced", description="Kept only by PATCH")
    patched = sim.admin.patch(f"/api/v2/webhooks/{webhook_id}", json={"webhook": {"name": "P"}})
    assert patched.status_code == patch_fact["status"]
    shown = sim.admin.get(f"/api/v2/webhooks/{webhook_id}").json()["webhook"]
    assert set(patch_fact["kept_when_omitted"]) <= set(shown)
    full = sim.admin.get(f"/api/v2/webhooks/{webhook_id}").json()["webhook"]
    body = {"webhook": {key: full[key] for key in put_fact["accepted_body_keys"]}}
    replaced = sim.admin.put(f"/api/v2/webhooks/{webhook_id}", json=body)
    assert replaced.status_code == put_fact["status"]
    after = sim.admin.get(f"/api/v2/webhooks/{webhook_id}").json()["webhook"]
    for dropped in put_fact["dropped_when_omitted"]:
        assert dropped not in after
    assert after["name"] == "P"


def test_trigger_created_without_category_lands_in_the_first_category(sim: Sim) -> None:
    fact = RECORDED["trigger_create_without_category"]
    webhook_id = new_webhook(sim, "target")
    body = load_fixture("trigger__create")
    del body["trigger"]["category_id"]
    body["trigger"]["actions"][0]["value"][0] = webhook_id
    created = sim.admin.post("/api/v2/triggers", json=body)
    assert created.status_code == fact["status"]
    first = sim.admin.get("/api/v2/trigger_categories").json()["trigger_categories"][0]
    assert created.json()["trigger"]["category_id"] == first["id"]


def test_deliveries_carry_the_recorded_headers_and_ulid_invocation_ids(
    sim: Sim,
    receiver: Receiver,
) -> None:
    fact = RECORDED["webhook_delivery"]
    pattern = re.compile(fact["invocation_id_pattern"])
    assert pattern.match(fact["invocation_id_example"])
    install(sim, receiver.url)
    sim.control("PUT", "/faults", {"webhook_duplicate_rate": 1.0, "seed": 7})
    sim.create_ticket(type="task", assignee_id=1002)
    sim.create_ticket(type="task", assignee_id=1003)
    records = sim.wait_deliveries(4)
    deadline = time.monotonic() + 5
    while len(receiver.received) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    headers = [request["headers"] for request in receiver.received]
    assert len(headers) == 4
    for sent in headers:
        assert {name.lower() for name in fact["headers_present"]} <= set(sent)
        assert sent["content-type"] == fact["content_type"]
        assert sent["user-agent"] == fact["user_agent"]
        assert pattern.match(sent["x-zendesk-webhook-invocation-id"])
    invocations = [sent["x-zendesk-webhook-invocation-id"] for sent in headers]
    assert len(set(invocations)) == 2  # each invocation delivered twice, under one id
    assert {r["invocation_id"] for r in records} == set(invocations)
