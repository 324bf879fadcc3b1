"""The simulator's OAuth (consent, code exchange with PKCE, refresh, revoke) and bearer checks."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
from google_sim_support import (
    AGENT,
    CLIENT_ID,
    CLIENT_SECRET,
    Tokens,
    authorize,
    connect,
    error_shape_problems,
    exchange,
)


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    return http.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
    })


def test_offline_consent_yields_refresh_token_once(http: httpx.Client) -> None:
    first = connect(http, AGENT)
    assert first.refresh_token is not None
    assert "https://www.googleapis.com/auth/calendar.events" in first.scope.split()
    again = connect(http, AGENT)
    assert again.refresh_token is None  # only the first offline consent gives one
    verifier = secrets.token_urlsafe(48)
    forced = exchange(http, authorize(http, AGENT, prompt="consent", verifier=verifier), verifier)
    assert forced.json()["refresh_token"] not in (None, first.refresh_token)

    refreshed = refresh(http, forced.json()["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["expires_in"] == 3599
    assert "refresh_token" not in refreshed.json()


def test_code_is_single_use_and_pkce_checked(http: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = authorize(http, AGENT, verifier=verifier)
    wrong = exchange(http, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    code = authorize(http, AGENT, verifier=verifier)
    assert exchange(http, code, verifier).status_code == 200
    reused = exchange(http, code, verifier)
    assert reused.json()["error"] == "invalid_grant"
    bad_client = http.post("/token", data={"grant_type": "refresh_token", "client_id": "x"})
    assert bad_client.status_code == 401
    assert bad_client.json()["error"] == "invalid_client"


def test_denied_consent_and_unknown_client(http: httpx.Client) -> None:
    params = {"client_id": CLIENT_ID, "redirect_uri": "http://127.0.0.1:9/cb",
              "response_type": "code", "scope": "openid", "state": "s1"}
    denied = http.post("/o/oauth2/v2/auth", data={**params, "decision": "deny"})
    assert denied.status_code == 302
    assert denied.headers["location"] == "http://127.0.0.1:9/cb?error=access_denied&state=s1"
    unknown = http.get("/o/oauth2/v2/auth", params={**params, "client_id": "nobody"})
    assert unknown.status_code == 400


def test_revoked_or_unknown_refresh_token_is_invalid_grant(http: httpx.Client) -> None:
    tokens = connect(http, AGENT)
    assert tokens.refresh_token is not None
    unknown = refresh(http, "1//not-a-token")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": "invalid_grant", "error_description": "Token has been expired or revoked."
    }
    assert http.post("/revoke", data={"token": tokens.access_token}).status_code == 200
    assert refresh(http, tokens.refresh_token).json()["error"] == "invalid_grant"
    listed = http.get("/calendar/v3/users/me/calendarList",
                      headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert listed.status_code == 401


def test_api_requires_a_live_token_with_the_right_scope(http: httpx.Client) -> None:
    missing = http.get("/calendar/v3/calendars/primary/events")
    assert missing.status_code == 401
    assert error_shape_problems(missing.json()) == []
    assert missing.json()["error"]["errors"][0]["reason"] == "authError"
    assert "WWW-Authenticate" in missing.headers
    events_only = connect(http, AGENT, scope="https://www.googleapis.com/auth/calendar.events")
    auth = {"Authorization": f"Bearer {events_only.access_token}"}
    assert http.get("/calendar/v3/calendars/primary/events", headers=auth).status_code == 200
    refused = http.get("/calendar/v3/users/me/calendarList", headers=auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert http.post(f"/_sandbox/users/{AGENT}/revoke").status_code == 200
    assert http.get("/calendar/v3/calendars/primary/events", headers=auth).status_code == 401


def test_google_client_refreshes_a_dead_access_token_by_itself(
    calendar_client: Callable[[Tokens], Any], http: httpx.Client
) -> None:
    tokens = connect(http, AGENT)
    stale = Tokens("ya29.expired-or-unknown", tokens.refresh_token, tokens.scope)
    listed = calendar_client(stale).calendarList().list().execute()
    assert AGENT in {entry["id"] for entry in listed["items"]}
