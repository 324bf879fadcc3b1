"""OAuth: consent page, authorization code with PKCE, expiry, refresh rotation, scopes."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import Sim, load_fixture

REDIRECT = "http://127.0.0.1:8000/oauth/zendesk/callback"
VERIFIER = "a-long-random-verifier-string-of-at-least-43-characters-0123456789"


def challenge(verifier: str) -> str:
    """RFC 7636 S256, written out independently of the simulator."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def consent(sim: Sim, decision: str, user_id: int = 1001, **extra: str) -> httpx.Response:
    """Load the consent page, then submit its form as a person clicking would."""
    params = {
        "response_type": "code",
        "client_id": "zdcal",
        "redirect_uri": REDIRECT,
        "scope": "read write",
        "state": "xyz",
        **extra,
    }
    page = sim.anonymous.get("/oauth/authorizations/new", params=params)
    assert page.status_code == 200
    action = unescape(re.search(r"action='([^']+)'", page.text).group(1))  # type: ignore[union-attr]
    fields = dict(re.findall(r"type='hidden' name='([^']+)' value='([^']*)'", page.text))
    fields = {k: unescape(v) for k, v in fields.items()}
    return sim.anonymous.post(
        action, data={**fields, "user_id": str(user_id), "decision": decision}
    )


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(sim: Sim, **params: str) -> httpx.Response:
    body = {
        "grant_type": "authorization_code",
        "client_id": "zdcal",
        "client_secret": "zdcal-sandbox-secret",
        "redirect_uri": REDIRECT,
        **params,
    }
    return sim.anonymous.post("/oauth/tokens", json=body)


def test_code_flow_with_pkce_and_single_use_code(sim: Sim) -> None:
    code = code_from(
        consent(sim, "allow", code_challenge=challenge(VERIFIER), code_challenge_method="S256")
    )
    assert exchange(sim, code=code, code_verifier="wrong").status_code == 400
    # The refused attempt used the code up: codes are single use.
    code = code_from(
        consent(sim, "allow", code_challenge=challenge(VERIFIER), code_challenge_method="S256")
    )
    granted = exchange(sim, code=code, code_verifier=VERIFIER)
    assert granted.status_code == 200
    token = granted.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 1800
    assert token["scope"] == "read write"
    assert sim.bearer(token["access_token"]).get("/api/v2/users/me").json()["user"]["id"] == 1001
    again = exchange(sim, code=code, code_verifier=VERIFIER)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "error_description" in again.json()


def test_deny_redirects_with_access_denied(sim: Sim) -> None:
    response = consent(sim, "deny")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query == {"error": ["access_denied"], "state": ["xyz"]}


def test_unknown_client_or_redirect_gets_an_error_page_not_a_redirect(sim: Sim) -> None:
    base = {"response_type": "code", "scope": "read", "state": "s"}
    unknown = sim.anonymous.get(
        "/oauth/authorizations/new", params={**base, "client_id": "evil", "redirect_uri": REDIRECT}
    )
    assert unknown.status_code == 400
    assert "location" not in unknown.headers
    foreign = sim.anonymous.get(
        "/oauth/authorizations/new",
        params={**base, "client_id": "zdcal", "redirect_uri": "https://evil.example/cb"},
    )
    assert foreign.status_code == 400
    assert "location" not in foreign.headers


def test_code_expires_after_120_seconds(sim: Sim) -> None:
    code = code_from(consent(sim, "allow"))
    sim.advance(121)
    assert exchange(sim, code=code).json()["error"] == "invalid_grant"


def test_access_token_expires_and_refresh_token_rotates(sim: Sim) -> None:
    token: dict[str, Any] = exchange(sim, code=code_from(consent(sim, "allow", 1002))).json()
    sim.advance(1801)
    expired = sim.bearer(token["access_token"]).get("/api/v2/tickets/1")
    assert expired.status_code == 401
    assert expired.json() == {"error": "Couldn't authenticate you"}
    body = load_fixture("oauth_token__refresh")
    body["refresh_token"] = token["refresh_token"]
    refreshed = sim.anonymous.post("/oauth/tokens", data=body)  # form-encoded works too
    assert refreshed.status_code == 200
    fresh = refreshed.json()
    assert fresh["refresh_token"] != token["refresh_token"]
    assert sim.bearer(fresh["access_token"]).get("/api/v2/users/me").json()["user"]["id"] == 1002
    reused = sim.anonymous.post("/oauth/tokens", json=body)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(sim: Sim) -> None:
    code = code_from(consent(sim, "allow"))
    refused = exchange(sim, code=code, client_secret="nope")
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_scopes_are_enforced(sim: Sim) -> None:
    code = code_from(consent(sim, "allow", scope="tickets:read users:read"))
    client = sim.bearer(exchange(sim, code=code).json()["access_token"])
    ticket = sim.create_ticket(subject="scoped")
    assert client.get(f"/api/v2/tickets/{ticket['id']}").status_code == 200
    write = client.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"priority": "low"}})
    assert write.status_code == 403
    assert write.json()["error"]["title"] == "Forbidden"
    assert client.get("/api/v2/webhooks").status_code == 403


def test_revoking_the_current_token(sim: Sim) -> None:
    client = sim.bearer(exchange(sim, code=code_from(consent(sim, "allow"))).json()["access_token"])
    current = client.get("/api/v2/oauth/tokens/current.json")
    assert current.status_code == 200
    assert current.json()["token"]["user_id"] == 1001
    assert client.delete("/api/v2/oauth/tokens/current.json").status_code == 204
    assert client.get("/api/v2/users/me").status_code == 401
