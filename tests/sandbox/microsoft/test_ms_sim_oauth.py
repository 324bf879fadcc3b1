"""The identity platform's v2 endpoints: consent, PKCE, code redemption, rotating refresh
tokens, AADSTS-shaped refusals, tenants."""

from __future__ import annotations

import secrets

import httpx
import pytest
from ms_sim_support import (
    AGENT,
    CLIENT_ID,
    REDIRECT_URI,
    TENANT,
    Graph,
    authorize,
    connect,
    exchange,
    mint,
    refresh,
)

from zdcal.sandbox.microsoft import MicrosoftSimConfig, create_app
from zdcal.sandbox.server import ServerThread


def _aadsts(response: httpx.Response, error: str, number: int) -> None:
    assert response.status_code in (400, 401), response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [number]
    assert body["error_description"].startswith(f"AADSTS{number}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_consent_with_pkce_gives_tokens_that_work_on_graph(http: httpx.Client) -> None:
    tokens = connect(http)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3599
    assert set(tokens["scope"].split()) == {"Calendars.ReadWrite", "User.Read"}
    graph = Graph(http, tokens["access_token"])
    me = graph.get("/me")
    assert me.status_code == 200
    assert me.json()["mail"] == AGENT
    assert graph.problems == []
    assert "id_token" not in tokens  # no openid asked


def test_refused_consent_redirects_access_denied(http: httpx.Client) -> None:
    query = authorize(http, None, verifier="v" * 43)
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0].startswith("AADSTS65004")
    assert "code" not in query


def test_code_is_single_use_and_needs_the_right_verifier(http: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = authorize(http, AGENT, verifier=verifier)["code"][0]
    _aadsts(exchange(http, code, "wrong-" + verifier), "invalid_grant", 501481)
    assert exchange(http, code, verifier).status_code == 200
    _aadsts(exchange(http, code, verifier), "invalid_grant", 54005)


def test_refresh_rotates_and_the_old_token_stays_usable(http: httpx.Client) -> None:
    first = connect(http)["refresh_token"]
    answer = refresh(http, first)
    assert answer.status_code == 200, answer.text
    second = answer.json()["refresh_token"]
    assert second != first
    assert refresh(http, first).status_code == 200  # documented: not revoked by the refresh


def test_revoked_user_gets_invalid_grant_and_401(http: httpx.Client) -> None:
    tokens = connect(http)
    assert http.post(f"/_sandbox/users/{AGENT}/revoke").status_code == 200
    _aadsts(refresh(http, tokens["refresh_token"]), "invalid_grant", 70008)
    graph = Graph(http, tokens["access_token"])
    me = graph.get("/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert graph.problems == []


def test_bad_client_secret_and_unknown_grant(http: httpx.Client) -> None:
    bad = http.post("/common/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": "x", "client_id": CLIENT_ID,
        "client_secret": "nope"})
    _aadsts(bad, "invalid_client", 7000215)
    _aadsts(refresh(http, "not-a-token"), "invalid_grant", 9002313)


def test_tenants_common_and_own_id_work_others_do_not(http: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = authorize(http, AGENT, verifier=verifier, tenant=TENANT)["code"][0]
    assert exchange(http, code, verifier, tenant=TENANT).status_code == 200
    page = http.get("/consumers/oauth2/v2.0/authorize", params={
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "Calendars.ReadWrite"})
    assert page.status_code == 400
    assert "AADSTS90002" in page.text


def test_missing_scope_on_graph_is_403(http: httpx.Client) -> None:
    token = mint(http, scope="User.Read")
    graph = Graph(http, token)
    answer = graph.get("/me/calendars")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ErrorAccessDenied"
    assert graph.problems == []


@pytest.fixture
def strict_server() -> object:
    with ServerThread(create_app(MicrosoftSimConfig(old_refresh_token_grace_seconds=0))) as s:
        yield s


def test_strict_rotation_knob_kills_the_old_refresh_token(strict_server: ServerThread) -> None:
    with httpx.Client(base_url=strict_server.base_url, timeout=10) as http:
        first = connect(http)["refresh_token"]
        assert refresh(http, first).status_code == 200
        _aadsts(refresh(http, first), "invalid_grant", 700082)


def test_silent_sign_in_and_unknown_client(http: httpx.Client) -> None:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
              "scope": "Calendars.ReadWrite", "prompt": "none", "login_hint": AGENT,
              "state": "s"}
    before = http.get("/common/oauth2/v2.0/authorize", params=params)
    assert before.status_code == 302
    assert "error=interaction_required" in before.headers["location"]
    connect(http)
    after = http.get("/common/oauth2/v2.0/authorize", params=params)
    assert "code=" in after.headers["location"]
    unknown = http.get("/common/oauth2/v2.0/authorize", params={**params, "client_id": "x"})
    assert unknown.status_code == 400
    assert "AADSTS700016" in unknown.text
