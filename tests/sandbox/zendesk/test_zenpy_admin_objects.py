"""The simulator driven by zenpy (github.com/facetoe/zenpy), an independent, widely used
Zendesk client: webhooks and triggers as zenpy creates, lists, pages, changes and deletes
them. zenpy is a test-only dependency; the product never imports it.

zenpy has no trigger-category API, so categories are covered by the other modules here.
It builds URLs from ``ZENPY_FORCE_SCHEME`` and ``ZENPY_FORCE_NETLOC`` when they are set
(zenpy/lib/api.py, ``_build_url`` / ``base_url``): that points it at the simulator.
"""

from __future__ import annotations

from typing import Any

import pytest

from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import ADMIN, Sim, SimFactory

zenpy = pytest.importorskip("zenpy")
api_objects = pytest.importorskip("zenpy.lib.api_objects")
zenpy_exceptions = pytest.importorskip("zenpy.lib.exception")

PAGE = 3  # the simulator's page size here, so a handful of objects spans pages


@pytest.fixture
def small_pages(make_sim: SimFactory) -> Sim:
    return make_sim(ZendeskSimConfig(max_list_page_size=PAGE))


@pytest.fixture
def client(small_pages: Sim, monkeypatch: pytest.MonkeyPatch) -> Any:
    scheme, netloc = small_pages.base_url.split("://", 1)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", scheme)
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", netloc)
    email, token = ADMIN
    return zenpy.Zenpy(subdomain="sandbox", email=email, token=token)


def webhook(name: str, **fields: Any) -> Any:
    values = {
        "name": name,
        "endpoint": "https://hooks.example/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        **fields,
    }
    return api_objects.Webhook(**values)


def calls(sim: Sim, route: str) -> int:
    count: int = sim.control("GET", "/stats")["by_route"].get(route, 0)
    return count


def test_webhooks_through_zenpy(small_pages: Sim, client: Any) -> None:
    bearer = {"type": "bearer_token", "data": {"token": "zenpy-token"}, "add_position": "header"}
    created = [
        client.webhooks.create(webhook(f"Hook {n}", authentication=bearer)) for n in range(7)
    ]
    assert all(len(w.id) == 26 for w in created)

    listed = list(client.webhooks.list())
    assert [w.id for w in listed] == [w.id for w in created]
    assert calls(small_pages, "GET /api/v2/webhooks") == 3  # 7 webhooks, 3 a page
    assert [w.name for w in client.webhooks.list(filter="hook 4")] == ["Hook 4"]

    shown = client.webhooks(id=created[0].id)
    assert shown.name == "Hook 0"
    assert shown.authentication == {"type": "bearer_token", "add_position": "header"}

    secret = client.webhooks.show_secret(created[0].id)
    assert secret.algorithm == "SHA256"
    reset = client.webhooks.reset_secret(created[0].id)
    assert reset.secret != secret.secret

    # zenpy's update is a PUT of the object it is given: the whole webhook is replaced.
    replaced = webhook("Replaced", status="inactive")
    assert client.webhooks.update(created[0].id, replaced).status_code == 204
    after_put = client.webhooks(id=created[0].id)
    assert (after_put.name, after_put.status, after_put.authentication) == (
        "Replaced",
        "inactive",
        None,
    )
    # PATCH changes only the fields named.
    patch = api_objects.Webhook(id=created[1].id, name="Patched")
    assert client.webhooks.patch(patch).status_code == 204
    after_patch = client.webhooks(id=created[1].id)
    assert after_patch.name == "Patched"
    assert after_patch.authentication == {"type": "bearer_token", "add_position": "header"}

    client.webhooks.delete(client.webhooks(id=created[2].id))
    with pytest.raises(zenpy_exceptions.APIException):
        client.webhooks(id=created[2].id)
    assert len(list(client.webhooks.list())) == 6


def test_triggers_through_zenpy(small_pages: Sim, client: Any) -> None:
    target = client.webhooks.create(webhook("Trigger target"))

    def trigger(title: str) -> Any:
        return api_objects.Trigger(
            title=title,
            conditions={
                "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
                "any": [],
            },
            actions=[{"field": "notification_webhook", "value": [target.id, "{}"]}],
        )

    created = [client.triggers.create(trigger(f"Rule {n}")) for n in range(5)]
    first_category = small_pages.admin.get("/api/v2/trigger_categories").json()
    assert {t.category_id for t in created} == {first_category["trigger_categories"][0]["id"]}

    by_offset = [t.id for t in client.triggers()]
    by_cursor = [t.id for t in client.triggers(cursor_pagination=2)]
    assert by_offset == by_cursor == [t.id for t in created]
    assert calls(small_pages, "GET /api/v2/triggers") == 2 + 3  # pages of 3, then of 2

    changed = client.triggers(id=created[0].id)
    changed.title = "Renamed rule"
    assert client.triggers.update(changed).title == "Renamed rule"
    assert client.triggers(id=created[0].id).title == "Renamed rule"

    client.triggers.delete(client.triggers(id=created[1].id))
    assert [t.id for t in client.triggers()] == [created[0].id, *(t.id for t in created[2:])]
