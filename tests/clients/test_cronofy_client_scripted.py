"""Cronofy client edges that need an exact sequence of remote answers (documented shapes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from clients.remote_script import RecordingSleep, ScriptedRemote, SettableClock, load_fixture
from zdcal.calendars.cronofy import (
    BatchEntry,
    CronofyClient,
    CronofyError,
    CronofyTokens,
    Forbidden,
    Invalid,
    ServerError,
)

API = "https://api.cronofy.com"
TOKENS = CronofyTokens(
    access_token="cr-access-1",
    refresh_token="cr-refresh-1",
    account_id="acc_5700a00eb0ccd07000000000",
)


def fixture_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=load_fixture("cronofy", name))


def client_over(remote: ScriptedRemote, http: httpx.AsyncClient, **kwargs: object) -> CronofyClient:
    return CronofyClient(
        API,
        TOKENS,
        client_id="cid",
        client_secret="csecret",
        http=http,
        sleep=RecordingSleep(),
        **kwargs,
    )  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_read_events_sends_documented_parameters_and_follows_next_page() -> None:
    remote = ScriptedRemote(
        fixture_response("events__read_first_page"), fixture_response("events__read_last_page")
    )
    async with remote.client() as http:
        client = client_over(remote, http)
        events = [
            e
            async for e in client.read_events(
                calendar_ids=["cal_a", "cal_b"],
                last_modified=datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
            )
        ]
    assert [e.event_id for e in events] == [
        "zdcal-ticket-501",
        "zdcal-ticket-503",
        "zdcal-ticket-504",
    ]
    assert events[1].deleted
    assert events[2].start == "2026-03-12T09:00:00Z"
    first = parse_qs(urlsplit(str(remote.requests[0].url)).query)
    assert first == {
        "tzid": ["Etc/UTC"],
        "only_managed": ["true"],
        "include_deleted": ["true"],
        "include_managed": ["true"],
        "last_modified": ["2026-03-01T10:30:00Z"],
        "calendar_ids[]": ["cal_a", "cal_b"],
    }
    assert str(remote.requests[1].url) == "https://api.cronofy.com/v1/events/pages/08a07b034306679e"
    assert remote.requests[1].headers["Authorization"] == "Bearer cr-access-1"


@pytest.mark.anyio
async def test_next_page_on_a_foreign_host_is_refused() -> None:
    page = load_fixture("cronofy", "events__read_first_page")
    page["pages"]["next_page"] = "https://attacker.example/v1/events/pages/1"
    remote = ScriptedRemote(httpx.Response(200, json=page))
    async with remote.client() as http:
        client = client_over(remote, http)
        with pytest.raises(CronofyError, match="another host"):
            _ = [e async for e in client.read_events()]
    assert len(remote.requests) == 1


@pytest.mark.anyio
async def test_batch_sends_documented_entries_and_maps_results() -> None:
    remote = ScriptedRemote(
        httpx.Response(207, json=load_fixture("cronofy", "batch__partial_failure"))
    )
    entries = [
        BatchEntry.upsert(
            "cal_U9uuErStTG@EAAAB_IsAsykA2DBTWqQTf-f0kJw",
            {"event_id": "zd-1", "summary": "A", "start": "2026-03-10", "end": "2026-03-11"},
        ),
        BatchEntry.upsert("cal_x", {"event_id": "zd-2"}),
        BatchEntry.delete("cal_x", "zd-3"),
    ]
    async with remote.client() as http:
        results = await client_over(remote, http).batch(entries)
    sent = json.loads(remote.requests[0].content)["batch"]
    calendar = "cal_U9uuErStTG@EAAAB_IsAsykA2DBTWqQTf-f0kJw"
    assert sent[0]["relative_url"] == f"/v1/calendars/{calendar}/events"
    assert sent[2] == {
        "method": "DELETE",
        "relative_url": "/v1/calendars/cal_x/events",
        "data": {"event_id": "zd-3"},
    }
    assert [r.status for r in results] == [202, 422, 202]
    assert results[1].errors["summary"][0]["key"] == "errors.required"
    assert results[0].errors == {}


@pytest.mark.anyio
async def test_batch_with_a_mismatched_answer_is_an_error() -> None:
    remote = ScriptedRemote(httpx.Response(207, json={"batch": [{"status": 202}]}))
    async with remote.client() as http:
        with pytest.raises(CronofyError, match="1 batch results for 2 entries"):
            await client_over(remote, http).batch(
                [BatchEntry.delete("c", "a"), BatchEntry.delete("c", "b")]
            )


@pytest.mark.anyio
async def test_refresh_keeps_identity_and_calls_a_sync_callback() -> None:
    handed: list[CronofyTokens] = []
    remote = ScriptedRemote(
        httpx.Response(401),
        fixture_response("oauth_token__refresh"),
        fixture_response("calendars__list"),
    )
    clock = SettableClock()
    async with remote.client() as http:
        client = client_over(remote, http, on_tokens=handed.append, clock=clock)
        calendars = await client.list_calendars()
    assert [c.writable for c in calendars] == [True, False, False]
    assert json.loads(remote.requests[1].content) == {
        "client_id": "cid",
        "client_secret": "csecret",
        "grant_type": "refresh_token",
        "refresh_token": "cr-refresh-1",
    }
    assert handed[0].refresh_token == "cr-refresh-2"
    assert handed[0].account_id == TOKENS.account_id  # the refresh answer omits it
    assert handed[0].expires_at is not None
    assert (handed[0].expires_at - clock.now()).total_seconds() == 3600


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("response", "error_type"),
    [
        (httpx.Response(403), Forbidden),
        (fixture_response("error__invalid_event", 422), Invalid),
        (httpx.Response(500), ServerError),
    ],
)
async def test_error_statuses_become_typed_errors(
    response: httpx.Response, error_type: type[CronofyError]
) -> None:
    remote = ScriptedRemote(*([response] * 5))
    async with remote.client() as http:
        with pytest.raises(error_type) as caught:
            await client_over(remote, http).upsert_event(
                "cal_x", {"event_id": "zd-1", "summary": "x"}
            )
    assert caught.value.status == response.status_code
    text = str(caught.value) + repr(caught.value)
    assert "cr-access-1" not in text
    assert "csecret" not in text


@pytest.mark.anyio
async def test_upsert_needs_an_event_id_and_tokens_hide_in_repr() -> None:
    async with httpx.AsyncClient() as http:
        client = CronofyClient(API, TOKENS, client_id="cid", client_secret="csecret", http=http)
        with pytest.raises(ValueError, match="event_id"):
            await client.upsert_event("cal_x", {"summary": "no id"})
    assert "cr-access-1" not in repr(TOKENS)
    assert "cr-refresh-1" not in repr(TOKENS)
