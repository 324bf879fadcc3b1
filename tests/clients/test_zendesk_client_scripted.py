"""Zendesk client behaviour against scripted answers shaped like Zendesk's documented ones.

The end-to-end tests against the simulator cover the happy paths over real HTTP; these
pin down exact request shapes, error mapping and refresh races that need a precise
sequence of remote answers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from clients.remote_script import (
    RecordingSleep,
    RoutedRemote,
    ScriptedRemote,
    SettableClock,
    load_fixture,
)
from zdcal.http.oauth import make_pkce_pair
from zdcal.zendesk import (
    ApiTokenAuth,
    Forbidden,
    Invalid,
    NotFound,
    OAuthAuth,
    OAuthTokens,
    RateLimited,
    ServerError,
    TokenRefreshFailed,
    Unauthorized,
    Unreachable,
    ZendeskClient,
    ZendeskError,
)
from zdcal.zendesk.oauth import authorize_url

BASE = "https://acme.zendesk.com"


def fixture_response(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=load_fixture("zendesk", name), headers=headers)


def oauth(**overrides: object) -> OAuthAuth:
    values: dict[str, object] = {
        "access_token": "zd-access-1",
        "refresh_token": "zd-refresh-1",
        "expires_at": None,
        "client_id": "zdcal",
        "client_secret": "zd-client-secret",
    }
    values.update(overrides)
    return OAuthAuth(**values)  # type: ignore[arg-type]


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


@pytest.mark.anyio
async def test_api_token_auth_sends_documented_basic_header() -> None:
    remote = ScriptedRemote(fixture_response("user__me"))
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("ada@acme.example", "tok123"), http=http)
        me = await client.me()
    assert me.id == 76872
    assert me.is_admin
    assert me.iana_time_zone == "Europe/Amsterdam"
    sent = remote.requests[0].headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"ada@acme.example/token:tok123").decode()
    assert remote.requests[0].url.path == "/api/v2/users/me"


@pytest.mark.anyio
async def test_oauth_401_refreshes_once_hands_over_rotated_tokens_and_retries() -> None:
    handed: list[OAuthTokens] = []
    clock = SettableClock()
    remote = ScriptedRemote(
        fixture_response("error__unauthenticated", 401),
        fixture_response("oauth_token__refresh"),
        fixture_response("ticket__show"),
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, oauth(), http=http, on_tokens=handed.append, clock=clock)
        ticket = await client.show_ticket(501)
        assert isinstance(client.auth, OAuthAuth)
        assert client.auth.access_token == "zd-access-2"
        assert client.auth.refresh_token == "zd-refresh-2"
    assert ticket.id == 501
    assert ticket.due_at == datetime(2026, 3, 10, 12, tzinfo=UTC)
    first, token_call, retry = remote.requests
    assert first.headers["Authorization"] == "Bearer zd-access-1"
    assert token_call.url.path == "/oauth/tokens"
    assert json.loads(token_call.content) == {
        "grant_type": "refresh_token",
        "refresh_token": "zd-refresh-1",
        "client_id": "zdcal",
        "client_secret": "zd-client-secret",
    }
    assert retry.headers["Authorization"] == "Bearer zd-access-2"
    assert [t.refresh_token for t in handed] == ["zd-refresh-2"]
    assert handed[0].expires_at == clock.now() + timedelta(seconds=1800)


@pytest.mark.anyio
async def test_a_second_401_after_refresh_is_unauthorized_not_a_loop() -> None:
    remote = ScriptedRemote(
        fixture_response("error__unauthenticated", 401),
        fixture_response("oauth_token__refresh"),
        fixture_response("error__unauthenticated", 401),
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, oauth(), http=http)
        with pytest.raises(Unauthorized) as caught:
            await client.show_ticket(501)
    assert caught.value.status == 401
    assert caught.value.code == "Couldn't authenticate you"
    assert len(remote.requests) == 3


@pytest.mark.anyio
async def test_refused_refresh_token_is_token_refresh_failed() -> None:
    remote = ScriptedRemote(
        fixture_response("error__unauthenticated", 401),
        fixture_response("error__oauth_invalid_grant", 400),
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, oauth(), http=http)
        with pytest.raises(TokenRefreshFailed) as caught:
            await client.me()
    assert caught.value.code == "invalid_grant"
    assert "zd-refresh-1" not in str(caught.value)


@pytest.mark.anyio
async def test_known_expiry_refreshes_before_sending() -> None:
    clock = SettableClock()
    remote = ScriptedRemote(fixture_response("oauth_token__refresh"), fixture_response("user__me"))
    async with remote.client() as http:
        client = ZendeskClient(
            BASE, oauth(expires_at=clock.now() + timedelta(seconds=30)), http=http, clock=clock
        )
        await client.me()
    assert [r.url.path for r in remote.requests] == ["/oauth/tokens", "/api/v2/users/me"]
    assert remote.requests[1].headers["Authorization"] == "Bearer zd-access-2"


@pytest.mark.anyio
async def test_concurrent_401s_share_one_refresh() -> None:
    refreshes = 0

    def tickets(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer zd-access-2":
            return fixture_response("ticket__show")
        return fixture_response("error__unauthenticated", 401)

    def token(request: httpx.Request) -> httpx.Response:
        nonlocal refreshes
        refreshes += 1
        body = json.loads(request.content)
        if body["refresh_token"] != "zd-refresh-1":
            return fixture_response("error__oauth_invalid_grant", 400)
        return fixture_response("oauth_token__refresh")

    remote = RoutedRemote(
        {("GET", "/api/v2/tickets/501"): tickets, ("POST", "/oauth/tokens"): token}
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, oauth(), http=http)
        found = await asyncio.gather(*(client.show_ticket(501) for _ in range(5)))
    assert [t.id for t in found] == [501] * 5
    assert refreshes == 1  # a second refresh would have presented a rotated-away token


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fixture", "status", "error_type", "code"),
    [
        ("error__record_not_found", 404, NotFound, "RecordNotFound"),
        ("error__closed_prevents_update", 422, Invalid, "RecordInvalid"),
        ("error__forbidden", 403, Forbidden, "Forbidden"),
        ("error__trigger_categories_not_enabled", 403, Forbidden, "TriggerCategoriesNotEnabled"),
    ],
)
async def test_documented_error_bodies_become_typed_errors(
    fixture: str, status: int, error_type: type[ZendeskError], code: str
) -> None:
    remote = ScriptedRemote(fixture_response(fixture, status))
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("ada@acme.example", "tok123"), http=http)
        with pytest.raises(error_type) as caught:
            await client.update_ticket(501, {"status": "open"})
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.description
    assert "tok123" not in str(caught.value)
    assert "tok123" not in repr(caught.value)


@pytest.mark.anyio
async def test_closed_ticket_details_are_reachable() -> None:
    remote = ScriptedRemote(fixture_response("error__closed_prevents_update", 422))
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        with pytest.raises(Invalid) as caught:
            await client.update_ticket(501, {"status": "solved"})
    assert "closed prevents ticket update" in caught.value.field_descriptions("status")[0]


@pytest.mark.anyio
async def test_forbidden_names_the_permission_it_needs() -> None:
    remote = ScriptedRemote(fixture_response("error__forbidden", 403))
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("agent@acme.example", "t"), http=http)
        with pytest.raises(Forbidden, match=r"needs an admin \(OAuth scope .*webhooks:write"):
            await client.create_webhook({"name": "zdcal"})


@pytest.mark.anyio
async def test_rate_limited_after_the_policy_gives_up_keeps_retry_after() -> None:
    remote = ScriptedRemote(httpx.Response(429, headers={"Retry-After": "3600"}))
    async with remote.client() as http:
        client = ZendeskClient(
            BASE, ApiTokenAuth("a@b.example", "t"), http=http, sleep=RecordingSleep()
        )
        with pytest.raises(RateLimited) as caught:
            await client.show_ticket(1)
    assert caught.value.retry_after == 3600.0


@pytest.mark.anyio
async def test_ticket_create_is_never_resent_after_a_5xx() -> None:
    remote = ScriptedRemote(httpx.Response(503))
    async with remote.client() as http:
        client = ZendeskClient(
            BASE, ApiTokenAuth("a@b.example", "t"), http=http, sleep=RecordingSleep()
        )
        with pytest.raises(ServerError):
            await client.create_ticket({"subject": "x", "type": "task"})
    assert len(remote.requests) == 1


@pytest.mark.anyio
async def test_ticket_update_survives_a_5xx() -> None:
    remote = ScriptedRemote(httpx.Response(500), fixture_response("ticket__show"))
    async with remote.client() as http:
        client = ZendeskClient(
            BASE, ApiTokenAuth("a@b.example", "t"), http=http, sleep=RecordingSleep()
        )
        ticket = await client.update_ticket(501, {"priority": "high"})
    assert ticket.id == 501
    sent = [json.loads(r.content) for r in remote.requests]
    assert sent == [{"ticket": {"priority": "high"}}] * 2


@pytest.mark.anyio
async def test_no_answer_at_all_is_unreachable() -> None:
    remote = ScriptedRemote(*(httpx.ConnectError("refused") for _ in range(5)))
    async with remote.client() as http:
        client = ZendeskClient(
            BASE, ApiTokenAuth("a@b.example", "t"), http=http, sleep=RecordingSleep()
        )
        with pytest.raises(Unreachable) as caught:
            await client.me()
    assert caught.value.status is None


@pytest.mark.anyio
async def test_rate_limit_headers_are_exposed() -> None:
    clock = SettableClock()
    remote = ScriptedRemote(
        fixture_response(
            "incremental_tickets__last_page",
            **{
                "X-Rate-Limit": "700",
                "X-Rate-Limit-Remaining": "698",
                "ratelimit-limit": "700",
                "ratelimit-remaining": "698",
                "ratelimit-reset": "17",
                "zendesk-ratelimit-incremental-exports": "total=10; remaining=9; resets=42",
            },
        )
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http, clock=clock)
        assert client.rate_limit is None
        await client.incremental_tickets_page(cursor="abc")
    assert client.rate_limit is not None
    assert (client.rate_limit.limit, client.rate_limit.remaining) == (700, 698)
    assert client.rate_limit.reset_seconds == 17.0
    assert client.rate_limit.observed_at == clock.now()
    export = client.endpoint_rate_limits["incremental-exports"]
    assert (export.limit, export.remaining, export.reset_seconds) == (10, 9, 42.0)


@pytest.mark.anyio
async def test_show_many_chunks_by_100_and_concatenates_in_order() -> None:
    def show_many(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in query(request)["ids"][0].split(",")]
        return httpx.Response(
            200,
            json={
                "tickets": [{"id": i} for i in ids if i % 7],
                "next_page": None,
                "previous_page": None,
            },
        )

    remote = RoutedRemote({("GET", "/api/v2/tickets/show_many"): show_many})
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        tickets = await client.show_many_tickets(list(range(1, 251)))
        assert await client.show_many_tickets([]) == []
    assert [len(query(r)["ids"][0].split(",")) for r in remote.requests] == [100, 100, 50]
    assert [t.id for t in tickets] == [i for i in range(1, 251) if i % 7]


@pytest.mark.anyio
async def test_incremental_export_first_call_and_cursor_call() -> None:
    remote = ScriptedRemote(
        fixture_response("incremental_tickets__first_page"),
        fixture_response("incremental_tickets__last_page"),
    )
    start = datetime(2026, 3, 1, tzinfo=UTC)
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        first = await client.incremental_tickets_page(start_time=start, per_page=500)
        last = await client.incremental_tickets_page(
            cursor=first.after_cursor, exclude_deleted=True
        )
    assert [t.id for t in first.tickets] == [501, 503]
    assert first.tickets[1].is_deleted
    assert first.end_of_stream is False
    assert last.end_of_stream is True
    assert query(remote.requests[0]) == {
        "start_time": [str(int(start.timestamp()))],
        "per_page": ["500"],
    }
    assert query(remote.requests[1]) == {
        "cursor": ["MTc3MjM1OTIwMC4wfHw1MDN8"],
        "per_page": ["1000"],
        "exclude_deleted": ["true"],
    }


@pytest.mark.anyio
async def test_incremental_export_needs_exactly_one_starting_point() -> None:
    client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"))
    async with client:
        with pytest.raises(ValueError, match="exactly one"):
            await client.incremental_tickets_page()
        with pytest.raises(ValueError, match="exactly one"):
            await client.incremental_tickets_page(start_time=1, cursor="x")
        with pytest.raises(ValueError, match="per_page"):
            await client.incremental_tickets_page(start_time=1, per_page=5000)


@pytest.mark.anyio
async def test_search_export_follows_cursors_with_filter_type() -> None:
    remote = ScriptedRemote(
        fixture_response("search_export__first_page"),
        fixture_response("search_export__last_page"),
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        pages = [p async for p in client.search_export("ticket_type:task status<solved")]
    assert [[t.id for t in p.tickets] for p in pages] == [[501], [502]]
    first, second = (query(r) for r in remote.requests)
    assert first["filter[type]"] == ["ticket"]
    assert first["query"] == ["ticket_type:task status<solved"]
    assert "page[after]" not in first
    assert second["page[after]"] == ["eyJmaWVsZCI6ImNyZWF0ZWRfYXQifQ=="]


@pytest.mark.anyio
async def test_search_export_refuses_type_in_the_query() -> None:
    async with ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t")) as client:
        with pytest.raises(ValueError, match="filter"):
            await anext(client.search_export("type:ticket status:open"))


@pytest.mark.anyio
async def test_webhook_listing_follows_cursor_pages_and_filters_by_name() -> None:
    remote = ScriptedRemote(
        fixture_response("webhooks__list_first_page"),
        fixture_response("webhooks__list_last_page"),
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        hooks = await client.list_webhooks(name_contains="zdcal")
    assert [h.is_active for h in hooks] == [True, False]
    assert all(query(r)["filter[name_contains]"] == ["zdcal"] for r in remote.requests)
    assert query(remote.requests[1])["page[after]"] == ["MDFHRFhZRDda"]


@pytest.mark.anyio
async def test_offset_next_page_on_another_host_is_not_followed() -> None:
    remote = ScriptedRemote(
        httpx.Response(200, json={"triggers": [], "next_page": "https://evil.example/steal"})
    )
    async with remote.client() as http:
        client = ZendeskClient(BASE, ApiTokenAuth("a@b.example", "t"), http=http)
        with pytest.raises(ZendeskError, match="another host"):
            await client.list_triggers()
    assert len(remote.requests) == 1


def test_secrets_stay_out_of_reprs() -> None:
    auth = oauth()
    text = repr(auth) + repr(ApiTokenAuth("a@b.example", "tok123"))
    for secret in ("zd-access-1", "zd-refresh-1", "zd-client-secret", "tok123"):
        assert secret not in text
    pair = make_pkce_pair()
    assert pair.verifier not in repr(pair)


def test_authorize_url_carries_pkce_challenge() -> None:
    pair = make_pkce_pair()
    url = authorize_url(
        BASE,
        "zdcal",
        "https://zdcal.example/cb",
        "read write",
        "st8",
        code_challenge=pair.challenge,
    )
    parts = urlsplit(url)
    assert parts.path == "/oauth/authorizations/new"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["zdcal"],
        "redirect_uri": ["https://zdcal.example/cb"],
        "scope": ["read write"],
        "state": ["st8"],
        "code_challenge": [pair.challenge],
        "code_challenge_method": ["S256"],
    }
    assert 43 <= len(pair.verifier) <= 128
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
