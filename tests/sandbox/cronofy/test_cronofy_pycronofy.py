"""Fidelity: Cronofy's own Python SDK, unchanged apart from its base URL, against the simulator."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

import httpx
import pycronofy
import pytest
from cronofy_sim_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    Receiver,
    Sim,
    load_fixture,
)
from pycronofy.batch import BatchBuilder
from pycronofy.exceptions import PyCronofyPartialSuccessError, PyCronofyRequestError


def sdk_client(sim: Sim, **auth: Any) -> pycronofy.Client:
    """A pycronofy client pointed at the simulator: the only change is the base URLs."""
    client = pycronofy.Client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **auth)
    client.request_handler.base_url = sim.base_url
    client.app_base_url = sim.base_url
    return client


@pytest.fixture
def client(sim: Sim, grace: dict[str, Any]) -> pycronofy.Client:
    return sdk_client(sim, access_token=grace["access_token"], refresh_token=grace["refresh_token"])


def test_account_userinfo_profiles_and_calendars(client: pycronofy.Client) -> None:
    assert client.account()["email"] == "grace@acme.test"
    assert client.userinfo()["sub"] == "acc_5700a00eb0ccd07000000001"
    assert client.list_profiles()[0]["provider_name"] == "office365"
    calendars = {c["calendar_id"]: c for c in client.list_calendars()}
    assert calendars["cal_grace_shared"]["calendar_readonly"] is True
    assert calendars["cal_grace_gone"]["calendar_deleted"] is True
    assert calendars["cal_grace_main"]["calendar_primary"] is True
    assert calendars["cal_grace_tasks"]["profile_name"] == "grace@acme.test"


def test_upsert_read_and_delete_round_trip(client: pycronofy.Client) -> None:
    event = load_fixture("event__upsert")
    client.upsert_event("cal_grace_tasks", dict(event))
    client.upsert_event("cal_grace_tasks", {**event, "summary": "Updated summary"})

    managed = list(client.read_events(tzid="Etc/UTC", only_managed=True, include_deleted=True))
    assert len(managed) == 1
    assert managed[0]["event_id"] == event["event_id"]
    assert managed[0]["summary"] == "Updated summary"
    assert managed[0]["reminders"] == event["reminders"]

    client.delete_event("cal_grace_tasks", event["event_id"])
    client.delete_event("cal_grace_tasks", "never-existed")  # a no-op, still 202
    deleted = list(client.read_events(tzid="Etc/UTC", only_managed=True, include_deleted=True))
    assert [e["deleted"] for e in deleted] == [True]
    assert list(client.read_events(tzid="Etc/UTC", only_managed=True)) == []


@pytest.mark.parametrize("last_page", ["absent", "empty"])
def test_read_events_follows_next_page_urls(
    sim: Sim, client: pycronofy.Client, last_page: str
) -> None:
    # The last page without next_page, or with "" as pycronofy's own fixture records it.
    sim.control("PUT", "/behaviour", json={"last_page_next_page": last_page})
    # The shared server pages by 3: seven events make three pages.
    base = load_fixture("event__upsert")
    for number in range(7):
        client.upsert_event(
            "cal_grace_tasks",
            {
                **base,
                "event_id": f"task-{number}",
                "start": f"2030-03-0{number + 1}T10:00:00Z",
                "end": f"2030-03-0{number + 1}T11:00:00Z",
            },
        )
    pages = client.read_events(tzid="Etc/UTC", only_managed=True)
    assert (pages.current, pages.total) == (1, 3)
    assert [e["event_id"] for e in pages.all()] == [f"task-{n}" for n in range(7)]
    assert pages.next_page_url == ("" if last_page == "empty" else None)


def test_unknown_calendar_is_a_request_error(client: pycronofy.Client) -> None:
    with pytest.raises(PyCronofyRequestError) as caught:
        client.upsert_event("cal_nobody", load_fixture("event__upsert"))
    assert caught.value.response.status_code == 404


def test_batch_reports_partial_failure(client: pycronofy.Client) -> None:
    good = load_fixture("event__upsert")
    builder = BatchBuilder()
    builder.upsert_event("cal_grace_tasks", good)
    builder.upsert_event("cal_grace_tasks", {**good, "event_id": "bad", "summary": ""})
    builder.delete_event("cal_grace_tasks", "absent")
    with pytest.raises(PyCronofyPartialSuccessError) as caught:
        client.batch(builder)
    statuses = [entry.status() for entry in caught.value.batch_response.entries]
    assert statuses == [202, 422, 202]
    errors = caught.value.batch_response.errors()[0].response["data"]["errors"]
    assert errors["summary"][0]["key"] == "errors.required"


def test_batch_all_good(client: pycronofy.Client) -> None:
    builder = BatchBuilder()
    builder.upsert_event("cal_grace_tasks", load_fixture("event__upsert_all_day"))
    builder.delete_event("cal_grace_tasks", "zendesk-ticket-4212")
    assert not client.batch(builder).has_errors()


def test_refresh_rotates_the_refresh_token(sim: Sim, client: pycronofy.Client) -> None:
    old_refresh, old_access = client.auth.refresh_token, client.auth.access_token
    tokens = client.refresh_authorization()
    assert tokens["refresh_token"] != old_refresh
    assert tokens["access_token"] != old_access
    assert client.account()["account_id"] == "acc_5700a00eb0ccd07000000001"

    stale = sdk_client(sim, refresh_token=old_refresh)
    with pytest.raises(PyCronofyRequestError) as caught:
        stale.refresh_authorization()
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["error"] == "invalid_grant"


def test_refresh_answering_the_same_refresh_token(sim: Sim, client: pycronofy.Client) -> None:
    # Cronofy's documented example: the refresh token sent comes back unchanged.
    sim.control("PUT", "/behaviour", json={"refresh_token_mode": "same"})
    old_refresh, old_access = client.auth.refresh_token, client.auth.access_token
    tokens = client.refresh_authorization()
    assert tokens["refresh_token"] == old_refresh
    assert tokens["access_token"] != old_access
    assert client.account()["account_id"] == "acc_5700a00eb0ccd07000000001"
    # ...and it keeps working, from another client too.
    again = sdk_client(sim, refresh_token=old_refresh).refresh_authorization()
    assert again["refresh_token"] == old_refresh


def test_revoke_kills_the_authorization(sim: Sim, client: pycronofy.Client) -> None:
    access, refresh = client.auth.access_token, client.auth.refresh_token
    client.revoke_authorization()
    assert sim.api("GET", "/v1/account", access).status_code == 401
    with pytest.raises(PyCronofyRequestError):
        sdk_client(sim, refresh_token=refresh).refresh_authorization()


def test_oauth_code_flow_through_the_consent_page(sim: Sim, grace: dict[str, Any]) -> None:
    client = sdk_client(sim)
    link = client.user_auth_link("https://zdcal.example/cronofy/callback", state="xyz")
    assert link.startswith(sim.base_url + "/oauth/authorize?")
    page = sim.http.get(link.removeprefix(sim.base_url))
    assert page.status_code == 200
    assert "Grace Hopper" in page.text
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    decision = sim.http.post(
        "/oauth/authorize",
        data={**hidden, "account_id": grace["account_id"], "decision": "allow"},
    )
    assert decision.status_code == 303
    target = httpx.URL(decision.headers["location"])
    assert target.params["state"] == "xyz"
    tokens = client.get_authorization_from_code(target.params["code"])
    assert client.account()["email"] == "grace@acme.test"
    assert tokens["refresh_token"]


def test_channels_and_signed_notifications(
    sim: Sim, client: pycronofy.Client, fresh_receiver: Receiver
) -> None:
    channel = client.create_notification_channel(
        fresh_receiver.url("/cronofy/grace"), calendar_ids=["cal_grace_tasks"], only_managed=True
    )
    assert channel["channel_id"].startswith("chn_")
    assert [c["channel_id"] for c in client.list_notification_channels()] == [channel["channel_id"]]
    verification = fresh_receiver.wait_for(1)[0]
    assert verification.json()["notification"]["type"] == "verification"
    assert client.hmac_valid(
        verification.headers["cronofy-hmac-sha256"], verification.body.decode()
    )

    client.upsert_event("cal_grace_tasks", load_fixture("event__upsert"))
    change = {
        "calendar_id": "cal_grace_tasks",
        "event_id": "zendesk-ticket-4211",
        "start": "2030-03-04T17:00:00Z",
        "end": "2030-03-04T17:30:00Z",
    }
    assert sim.control("POST", "/events/change", json=change).status_code == 200
    notification = fresh_receiver.wait_for(2)[1]
    assert client.hmac_valid(
        notification.headers["cronofy-hmac-sha256"], notification.body.decode()
    )
    assert not client.hmac_valid("bm90IHRoZSBzaWduYXR1cmU=", notification.body.decode())
    changes_since = notification.json()["notification"]["changes_since"]
    moved = list(client.read_events(tzid="Etc/UTC", only_managed=True, last_modified=changes_since))
    assert [(e["event_id"], e["start"]) for e in moved] == [
        ("zendesk-ticket-4211", "2030-03-04T17:00:00Z")
    ]

    client.close_notification_channel(channel["channel_id"])
    assert client.list_notification_channels() == []


def test_documented_hmac_test_vector() -> None:
    # Independent of both the simulator and pycronofy: the vector from Cronofy's docs.
    digest = hmac.new(b"opposable thumbs", b'{"example":"well-known"}', hashlib.sha256).digest()
    expected = "38ArsN7+J/O8joGsgirVEdV16a/+eb+5QgHGIiuv4hk="
    assert base64.b64encode(digest).decode() == expected
    from zdcal.sandbox.cronofy.notifications import sign

    assert sign(b'{"example":"well-known"}', "opposable thumbs") == expected
    verifier = pycronofy.Client(client_secret="opposable thumbs")
    assert verifier.hmac_valid(f"bogus,{expected}", '{"example":"well-known"}')
