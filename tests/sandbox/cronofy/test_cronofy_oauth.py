"""OAuth: consent page, codes, token exchange, refresh rotation, expiry, revocation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from cronofy_sim_support import CLIENT_ID, CLIENT_SECRET, Sim, load_fixture

REDIRECT = "https://zdcal.example/cronofy/callback?from=sandbox"


def authorize_query(**change: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "read_account list_calendars read_events create_event delete_event",
        "state": "s-1",
        "avoid_linking": "true",
        **change,
    }


def consent(sim: Sim, decision: str, **form: str) -> httpx.Response:
    page = sim.http.get("/oauth/authorize", params=authorize_query())
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return sim.http.post("/oauth/authorize", data={**hidden, "decision": decision, **form})


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 303
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith("https://zdcal.example/cronofy/callback?from=sandbox&")
    assert location.params["state"] == "s-1"
    return location.params["code"]


def exchange(sim: Sim, code: str, **change: str) -> httpx.Response:
    return sim.http.post(
        "/oauth/token",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            **change,
        },
    )


def test_allow_gives_a_single_use_code(sim: Sim, grace: dict[str, Any]) -> None:
    code = code_from(consent(sim, "allow", account_id=grace["account_id"]))
    response = exchange(sim, code)
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["account_id"] == tokens["sub"] == grace["account_id"]
    assert tokens["linking_profile"]["provider_name"] == "office365"
    assert tokens["scope"] == authorize_query()["scope"]
    assert response.headers["cache-control"] == "no-store"
    assert sim.api("GET", "/v1/account", tokens["access_token"]).status_code == 200
    reused = exchange(sim, code)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_new_account_from_the_consent_page(sim: Sim) -> None:
    code = code_from(
        consent(sim, "allow", account_id="new", new_name="Nia", new_email="nia@acme.test")
    )
    token = exchange(sim, code).json()["access_token"]
    calendars = sim.api("GET", "/v1/calendars", token).json()["calendars"]
    assert [(c["calendar_name"], c["calendar_primary"]) for c in calendars] == [("Nia", True)]
    assert consent(sim, "allow", account_id="new", new_name="", new_email="").status_code == 400


def test_deny_redirects_with_access_denied(sim: Sim, grace: dict[str, Any]) -> None:
    response = consent(sim, "deny", account_id=grace["account_id"])
    location = httpx.URL(response.headers["location"])
    assert location.params["error"] == "access_denied"
    assert location.params["state"] == "s-1"


@pytest.mark.parametrize("change", [{"client_id": "someone-else"}, {"redirect_uri": "not a url"}])
def test_bad_client_or_redirect_shows_an_error_page(sim: Sim, change: dict[str, str]) -> None:
    response = sim.http.get("/oauth/authorize", params=authorize_query(**change))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "cannot be used" in response.text


def test_bad_response_type_is_redirected_back(sim: Sim) -> None:
    response = sim.http.get("/oauth/authorize", params=authorize_query(response_type="token"))
    assert httpx.URL(response.headers["location"]).params["error"] == "unsupported_response_type"


def test_code_checks(sim: Sim, grace: dict[str, Any]) -> None:
    code = code_from(consent(sim, "allow", account_id=grace["account_id"]))
    assert exchange(sim, code, redirect_uri="https://evil.example/").json()["error"] == (
        "invalid_grant"
    )
    wrong_secret = exchange(sim, code, client_secret="guess")
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (400, "invalid_client")
    sim.control("POST", "/clock", json={"advance_seconds": 601})
    assert exchange(sim, code).json()["error"] == "invalid_grant"  # expired after 10 minutes


def test_refresh_form_encoded_and_rotation_without_grace(sim: Sim, grace: dict[str, Any]) -> None:
    body = load_fixture("token__refresh")
    first = sim.http.post("/oauth/token", data=body)
    assert first.status_code == 200
    assert set(first.json()) == {
        "token_type",
        "access_token",
        "expires_in",
        "refresh_token",
        "scope",
    }
    again = sim.http.post("/oauth/token", json=body)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    rotated = sim.http.post(
        "/oauth/token", json={**body, "refresh_token": first.json()["refresh_token"]}
    )
    assert rotated.status_code == 200
    # Earlier access tokens keep working until they expire.
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 200
    assert (
        sim.http.post("/oauth/token", json={**body, "grant_type": "password"}).json()["error"]
        == "unsupported_grant_type"
    )


def test_access_tokens_expire(sim: Sim, grace: dict[str, Any]) -> None:
    token = grace["access_token"]
    assert sim.api("GET", "/v1/calendars", token).status_code == 200
    sim.control("POST", "/clock", json={"advance_seconds": 3601})
    expired = sim.api("GET", "/v1/calendars", token)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"].startswith("Bearer")
    assert sim.api("GET", "/v1/calendars", "made-up").status_code == 401
    assert sim.http.get("/v1/calendars").status_code == 401


def test_revoke_by_either_token(sim: Sim, grace: dict[str, Any]) -> None:
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = sim.http.post(
        "/oauth/token/revoke", json={**credentials, "token": grace["refresh_token"]}
    )
    assert response.status_code == 200
    assert sim.api("GET", "/v1/account", grace["access_token"]).status_code == 401
    assert (
        sim.http.post("/oauth/token/revoke", json={**credentials, "token": "unknown"}).status_code
        == 200
    )
    assert sim.http.post("/oauth/token/revoke", json={"token": "x"}).status_code == 400
