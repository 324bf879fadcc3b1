"""Webhooks and triggers: validation, signing, real deliveries to a receiver, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from zdcal.sandbox.zendesk import ZendeskSimConfig
from zdcal.sandbox.zendesk.delivery import webhook_signature

from .conftest import Receiver, Sim, SimFactory, load_fixture


def independent_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's documented formula, written here without the simulator's code."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


# Known vector, computed by hand with Python's hmac module:
#   key       = b"dGhpcyBpcyBhIHNlY3JldA=="  (the base64 secret text is the key, as sent)
#   message   = b"2023-09-18T23:38:13Z" + b'{"ticket_id": "42"}'
#   signature = base64(HMAC-SHA256) = "wrnpijSTBv4DlnpOkdwpbeJ1JrxXyAceZ80MQrzHSqU="
KNOWN_SECRET = "dGhpcyBpcyBhIHNlY3JldA=="
KNOWN_TIMESTAMP = "2023-09-18T23:38:13Z"
KNOWN_BODY = b'{"ticket_id": "42"}'
KNOWN_SIGNATURE = "wrnpijSTBv4DlnpOkdwpbeJ1JrxXyAceZ80MQrzHSqU="


def test_signature_formula_matches_the_known_vector() -> None:
    assert independent_signature(KNOWN_SECRET, KNOWN_TIMESTAMP, KNOWN_BODY) == KNOWN_SIGNATURE
    assert webhook_signature(KNOWN_SECRET, KNOWN_TIMESTAMP, KNOWN_BODY) == KNOWN_SIGNATURE


def install(sim: Sim, endpoint: str, *, status: str = "active") -> tuple[str, str]:
    """A webhook at ``endpoint`` and the fixture trigger calling it; returns (id, secret)."""
    webhook_body = load_fixture("webhook__create")
    webhook_body["webhook"]["endpoint"] = endpoint
    webhook_body["webhook"]["status"] = status
    webhook = sim.admin.post("/api/v2/webhooks", json=webhook_body).json()["webhook"]
    category = sim.admin.get("/api/v2/trigger_categories").json()["trigger_categories"][0]
    trigger_body = load_fixture("trigger__create")
    trigger_body["trigger"]["category_id"] = category["id"]
    trigger_body["trigger"]["actions"][0]["value"][0] = webhook["id"]
    created = sim.admin.post("/api/v2/triggers", json=trigger_body)
    assert created.status_code == 201, created.text
    secret = sim.admin.get(f"/api/v2/webhooks/{webhook['id']}/signing_secret").json()
    return webhook["id"], secret["signing_secret"]["secret"]


def test_trigger_fires_signed_webhook_with_rendered_body(sim: Sim, receiver: Receiver) -> None:
    webhook_id, secret = install(sim, receiver.url)
    ticket = sim.create_ticket(
        type="task", assignee_id=1002, subject='Say "hi"', due_at="2030-03-14T15:00:00Z"
    )
    records = sim.wait_deliveries(1)
    assert [r["final_status"] for r in records] == ["delivered"]
    request = receiver.received[0]
    headers = request["headers"]
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["user-agent"] == "Zendesk Webhook"
    assert headers["x-zendesk-webhook-id"] == webhook_id
    assert headers["x-zendesk-account-id"] == "9000001"
    assert headers["x-zendesk-webhook-invocation-id"] == records[0]["invocation_id"]
    # A ULID, e.g. 01HANA2B5D5W9XSJS3NE5SQA1J: 26 Crockford base32 characters.
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", records[0]["invocation_id"])
    assert headers["authorization"] == "Bearer receiver-bearer-secret"
    timestamp = headers["x-zendesk-webhook-signature-timestamp"]
    assert len(timestamp) == 20
    assert timestamp.endswith("Z")
    assert headers["x-zendesk-webhook-signature"] == independent_signature(
        secret, timestamp, request["body"]
    )
    # Placeholders are substituted as plain text: the quote in the subject is not escaped.
    text = request["body"].decode()
    assert '"title": "Say "hi""' in text
    fields = json.loads(text.replace('"title": "Say "hi""', '"title": ""'))
    assert fields == {
        "ticket_id": str(ticket["id"]),
        "type": "Task",
        "status": "Open",
        "due": "March 14, 2030",
        "assignee": "1002",
        "updated": ticket["updated_at"],
        "actor": "1001",
        "title": "",
    }


def test_update_fires_change_and_deletion_fires_nothing(sim: Sim, receiver: Receiver) -> None:
    install(sim, receiver.url)
    ticket = sim.create_ticket(type="task", assignee_id=1002)
    sim.control("PUT", f"/tickets/{ticket['id']}", {"ticket": {"status": "pending"}})
    sim.wait_deliveries(2)
    assert json.loads(receiver.received[1]["body"])["status"] == "Pending"
    assert json.loads(receiver.received[1]["body"])["actor"] == "1002"
    sim.admin.delete(f"/api/v2/tickets/{ticket['id']}")
    sim.create_ticket(type="question")  # not a task: the trigger's condition fails
    assert len(sim.wait_deliveries(3, timeout=0.5)) == 2


def test_deliveries_one_after_another_share_a_kept_alive_connection(
    sim: Sim, receiver: Receiver
) -> None:
    """The deliverer keeps its connections: a client per delivery built a TLS context
    each time, which held the whole simulator to a few dozen webhooks a second."""
    install(sim, receiver.url)
    for count in range(1, 6):
        sim.create_ticket(type="task", assignee_id=1002)
        sim.wait_deliveries(count)
    assert len(receiver.received) == 5
    assert len({r["port"] for r in receiver.received}) == 1


def test_retries_on_503_with_short_retry_after_and_on_timeout(
    make_sim: SimFactory, receiver: Receiver
) -> None:
    sim = make_sim(ZendeskSimConfig(webhook_timeout_seconds=0.3, webhook_max_attempts=3))
    install(sim, receiver.url)
    receiver.answers = [(503, {"Retry-After": "0"}, 0.0), (200, {}, 1.0), (200, {}, 0.0)]
    sim.create_ticket(type="task")
    record = sim.wait_deliveries(1)[0]
    assert record["final_status"] == "delivered"
    assert [a["status"] for a in record["attempts"]] == [503, None, 200]
    assert record["attempts"][1]["error"] == "timeout"


def test_no_retry_on_503_with_long_retry_after_nor_on_500(sim: Sim, receiver: Receiver) -> None:
    install(sim, receiver.url)
    receiver.answers = [(503, {"Retry-After": "120"}, 0.0), (500, {}, 0.0)]
    sim.create_ticket(type="task")
    sim.create_ticket(type="task")
    records = sim.wait_deliveries(2)
    assert [r["final_status"] for r in records] == ["failed", "failed"]
    assert [r["attempt_count"] for r in records] == [1, 1]


def test_inactive_webhook_delivers_nothing(sim: Sim, receiver: Receiver) -> None:
    install(sim, receiver.url, status="inactive")
    sim.create_ticket(type="task")
    assert sim.wait_deliveries(1, timeout=0.5) == []
    assert receiver.received == []


def test_signing_secret_reset_changes_the_secret(sim: Sim) -> None:
    webhook_id, secret = install(sim, "http://127.0.0.1:9/unused")
    reset = sim.admin.post(f"/api/v2/webhooks/{webhook_id}/signing_secret")
    assert reset.json()["signing_secret"]["secret"] != secret
    assert base64.b64decode(reset.json()["signing_secret"]["secret"])


def test_webhook_validation_update_filter_and_delete(sim: Sim) -> None:
    bad = load_fixture("webhook__create")
    bad["webhook"]["http_method"] = "FETCH"
    refused = sim.admin.post("/api/v2/webhooks", json=bad)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "InvalidInput"
    missing = sim.admin.post("/api/v2/webhooks", json={"webhook": {"name": "x"}})
    assert missing.status_code == 422
    webhook_id, _ = install(sim, "http://127.0.0.1:9/unused")
    patched = sim.admin.patch(
        f"/api/v2/webhooks/{webhook_id}", json={"webhook": {"name": "Renamed"}}
    )
    assert patched.status_code == 204
    found = sim.admin.get("/api/v2/webhooks", params={"filter[name_contains]": "renam"}).json()
    assert [w["id"] for w in found["webhooks"]] == [webhook_id]
    assert (
        sim.admin.get("/api/v2/webhooks", params={"filter[name_contains]": "zzz"}).json()[
            "webhooks"
        ]
        == []
    )
    assert sim.admin.delete(f"/api/v2/webhooks/{webhook_id}").status_code == 204
    assert sim.admin.get(f"/api/v2/webhooks/{webhook_id}").status_code == 404


def test_trigger_validation_and_put_replaces_conditions(sim: Sim) -> None:
    webhook_id, _ = install(sim, "http://127.0.0.1:9/unused")
    category = sim.admin.get("/api/v2/trigger_categories").json()["trigger_categories"][0]["id"]
    body = load_fixture("trigger__create")
    body["trigger"]["category_id"] = category
    body["trigger"]["actions"][0]["value"][0] = webhook_id
    body["trigger"]["conditions"]["all"] = [{"field": "mood", "operator": "is", "value": "x"}]
    assert sim.admin.post("/api/v2/triggers", json=body).status_code == 422
    body["trigger"]["conditions"]["all"] = []
    body["trigger"]["category_id"] = "999"
    assert sim.admin.post("/api/v2/triggers", json=body).status_code == 422
    trigger = sim.admin.get("/api/v2/triggers").json()["triggers"][0]
    replaced = sim.admin.put(
        f"/api/v2/triggers/{trigger['id']}",
        json={
            "trigger": {
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]}
            }
        },
    ).json()["trigger"]
    assert replaced["conditions"] == {
        "all": [{"field": "status", "operator": "is", "value": "open"}],
        "any": [],
    }
    assert sim.admin.delete(f"/api/v2/triggers/{trigger['id']}").status_code == 204
    assert sim.admin.get(f"/api/v2/triggers/{trigger['id']}").status_code == 404
    created = sim.admin.post(
        "/api/v2/trigger_categories", json={"trigger_category": {"name": "More"}}
    )
    assert isinstance(created.json()["trigger_category"]["id"], str)
