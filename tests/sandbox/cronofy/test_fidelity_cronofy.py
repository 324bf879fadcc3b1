"""Fidelity: what Cronofy documents (and what its own SDK's fixtures record), stated here as
small fixtures of our own with their sources, checked against the simulator over HTTP.
When the simulator drifts from these facts, a test here fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pycronofy
import pytest
from cronofy_sim_support import CLIENT_ID, CLIENT_SECRET, Receiver, Sim, load_fixture

from zdcal.sandbox.cronofy import assumptions

# --- Facts ---------------------------------------------------------------------------------

# Refresh answer: https://docs.cronofy.com/developers/api/authorization/refresh-token/
# ("Example Response"): these fields, token_type "bearer", no-store caching, and the
# refresh token that was sent comes back unchanged (the "same" mode). Our "rotate" mode is a
# guess (assumptions.py): the same fields with a new refresh token.
REFRESH_ANSWER_FIELDS = {"token_type", "access_token", "expires_in", "refresh_token", "scope"}
REFRESH_ANSWER_HEADERS = {"cache-control": "no-store", "pragma": "no-cache"}

# Read events pages. Not the last page: next_page is a URL to GET (Cronofy's docs, and
# cronofy/pycronofy pycronofy/tests/test_data.py TEST_DATA_PAGE_ONE). The last page:
# next_page absent (our API notes, /work/shared/api/cronofy.md) or "" (pycronofy's recorded
# TEST_DATA_PAGE_TWO: {"current": 2, "total": 2, "next_page": ""}).
LAST_PAGE_SHAPES: dict[str, dict[str, Any]] = {
    "absent": {"current": 2, "total": 2},
    "empty": {"current": 2, "total": 2, "next_page": ""},
}

# Push notification types: https://docs.cronofy.com/developers/api/push-notifications/
# ("tolerant of others, by ignoring them"); five captured from a live channel in
# hookdeck/webhook-samples providers/cronofy/latest/*.json, gdpr_requested quoted from the
# docs' list in hookdeck/webhook-skills (cronofy-webhooks).
DOCUMENTED_TYPES = (
    "verification",
    "change",
    "profile_disconnected",
    "profile_initial_sync_completed",
    "conferencing_profile_disconnected",
    "gdpr_requested",
)
# The captured body: {"notification": {"type": ...}, "channel": {"channel_id",
# "callback_url", "filters", ...}} (hookdeck/webhook-samples providers/cronofy/latest/).
CHANNEL_FIELDS = {"channel_id", "callback_url", "filters"}

# Signature header: https://docs.cronofy.com/developers/api/push-notifications/ - base64 of
# HMAC-SHA256(client secret, body); with several active secrets one value per secret,
# comma-separated ("{HMAC_FROM_SECRET_1},{HMAC_FROM_SECRET_2}"). Test vector from Cronofy's
# docs as /work/shared/api/cronofy.md records it.
VECTOR_SECRET, VECTOR_BODY = "opposable thumbs", b'{"example":"well-known"}'
VECTOR_SIGNATURE = "38ArsN7+J/O8joGsgirVEdV16a/+eb+5QgHGIiuv4hk="


def hmac_b64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# --- Refresh ---------------------------------------------------------------------------------


def refresh(sim: Sim, refresh_token: str) -> Any:
    return sim.http.post(
        "/oauth/token",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )


@pytest.mark.parametrize("mode", ["same", "rotate"])
def test_refresh_answer_in_both_modes(sim: Sim, grace: dict[str, Any], mode: str) -> None:
    assert sim.control("PUT", "/behaviour", json={"refresh_token_mode": mode}).status_code == 200
    sent = grace["refresh_token"]
    answer = refresh(sim, sent)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == REFRESH_ANSWER_FIELDS
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int)
    assert {k: answer.headers[k] for k in REFRESH_ANSWER_HEADERS} == REFRESH_ANSWER_HEADERS
    assert sim.api("GET", "/v1/account", body["access_token"]).status_code == 200
    again = refresh(sim, sent)
    if mode == "same":
        assert body["refresh_token"] == sent
        assert again.status_code == 200
    else:
        assert body["refresh_token"] != sent
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"


def test_behaviour_knobs_refuse_unknown_values_and_reset_to_the_configured_ones(sim: Sim) -> None:
    assert sim.control("PUT", "/behaviour", json={"refresh_token_mode": "grace"}).status_code == 422
    assert sim.control("PUT", "/behaviour", json={"rotation": "same"}).status_code == 422
    changed = sim.control("PUT", "/behaviour", json={"last_page_next_page": "empty"}).json()
    assert changed["last_page_next_page"] == "empty"
    sim.control("POST", "/reset", json={"empty": True})
    assert sim.control("GET", "/behaviour").json() == {
        "refresh_token_mode": "rotate",
        "last_page_next_page": "absent",
        "additional_client_secrets": [],
    }


# --- Read events pages -------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["absent", "empty"])
def test_last_page_ends_as_recorded(sim: Sim, grace: dict[str, Any], shape: str) -> None:
    sim.control("PUT", "/behaviour", json={"last_page_next_page": shape})
    token = grace["access_token"]
    base = load_fixture("event__upsert")
    for number in range(4):  # the shared server pages by 3: two pages
        event = {**base, "event_id": f"page-{number}"}
        response = sim.api("POST", "/v1/calendars/cal_grace_tasks/events", token, json=event)
        assert response.status_code == 202
    query = {"tzid": "Etc/UTC", "only_managed": "true"}
    first = sim.api("GET", "/v1/events", token, params=query).json()["pages"]
    assert first["next_page"].startswith(f"{sim.base_url}/v1/events/pages/")
    last = sim.api("GET", first["next_page"].removeprefix(sim.base_url), token).json()["pages"]
    assert last == LAST_PAGE_SHAPES[shape]


# --- Push notifications ------------------------------------------------------------------


def test_the_documented_types_are_the_simulators(sim: Sim) -> None:
    assert assumptions.DOCUMENTED_NOTIFICATION_TYPES == DOCUMENTED_TYPES


def test_every_documented_type_and_an_unknown_one_can_be_sent(
    sim: Sim, grace: dict[str, Any], fresh_receiver: Receiver
) -> None:
    channel = sim.api(
        "POST", "/v1/channels", grace["access_token"],
        json={"callback_url": fresh_receiver.url("/cronofy/grace")},
    ).json()["channel"]
    fresh_receiver.wait_for(1)  # verification, sent by the simulator on its own
    others = [t for t in DOCUMENTED_TYPES if t != "verification"] + ["some_future_type"]
    for kind in others:
        sent = sim.control("POST", f"/accounts/{grace['account_id']}/notify", json={"type": kind})
        assert sent.json() == {"channels": 1}
    received = fresh_receiver.wait_for(1 + len(others))
    bodies = [r.json() for r in received]
    assert sorted(b["notification"]["type"] for b in bodies) == sorted(
        ["verification", *others]
    )
    for body in bodies:
        assert set(body) == {"notification", "channel"}
        assert set(body["channel"]) == CHANNEL_FIELDS
        assert body["channel"]["channel_id"] == channel["channel_id"]
    untyped = sim.control("POST", f"/accounts/{grace['account_id']}/notify", json={})
    assert untyped.status_code == 422


def test_signature_header_holds_one_value_per_active_secret(
    sim: Sim, grace: dict[str, Any], fresh_receiver: Receiver
) -> None:
    assert hmac_b64(VECTOR_SECRET, VECTOR_BODY) == VECTOR_SIGNATURE
    sim.control("PUT", "/behaviour", json={"additional_client_secrets": ["retiring-secret"]})
    sim.api(
        "POST", "/v1/channels", grace["access_token"],
        json={"callback_url": fresh_receiver.url("/cronofy/grace")},
    )
    (delivery,) = fresh_receiver.wait_for(1)
    values = delivery.headers["cronofy-hmac-sha256"].split(",")
    assert values == [
        hmac_b64("retiring-secret", delivery.body),
        hmac_b64(CLIENT_SECRET, delivery.body),
    ]
    assert all(len(base64.b64decode(v)) == 32 for v in values)
    # Cronofy's own SDK accepts it with either secret alone.
    for secret in (CLIENT_SECRET, "retiring-secret"):
        verifier = pycronofy.Client(client_secret=secret)
        assert verifier.hmac_valid(delivery.headers["cronofy-hmac-sha256"], delivery.body.decode())
