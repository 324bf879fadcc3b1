"""Helpers for the Microsoft simulator tests: OAuth over HTTP, a checking Graph client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from graph_shapes import body_problems

AGENT = "agent@contoso.example"
OTHER = "other@contoso.example"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "sandbox-client-secret"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
REDIRECT_URI = "http://127.0.0.1:9/oauth/microsoft/callback"
SCOPES = "offline_access Calendars.ReadWrite User.Read"
MARKER = "String {66f5a359-4659-4830-9070-00040ec6ac6e} Name ZendeskTicket"


def authorize(http: httpx.Client, user: str | None, *, scope: str = SCOPES,
              verifier: str = "", tenant: str = "common") -> dict[str, list[str]]:
    """Walk the consent page as ``user`` would (None: refuse); the redirect's query."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": scope, "state": "st4te", "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    path = f"/{tenant}/oauth2/v2.0/authorize"
    page = http.get(path, params=params)
    assert page.status_code == 200, page.text
    assert AGENT in page.text
    choice = {"user": user} if user else {"decision": "deny"}
    answer = http.post(path, data={**params, **choice})
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st4te"]
    return query


def exchange(http: httpx.Client, code: str, verifier: str,
             tenant: str = "common") -> httpx.Response:
    return http.post(f"/{tenant}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code_verifier": verifier,
        "scope": SCOPES,
    })


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    return http.post("/common/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": SCOPES,
    })


def connect(http: httpx.Client, user: str = AGENT) -> dict[str, Any]:
    """A full consent with PKCE; the token endpoint's answer."""
    verifier = secrets.token_urlsafe(48)
    query = authorize(http, user, verifier=verifier)
    answer = exchange(http, query["code"][0], verifier)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def mint(http: httpx.Client, user: str = AGENT,
         scope: str = SCOPES) -> str:
    """An access token minted by the control API, as after a consent."""
    answer = http.post(f"/_sandbox/users/{user}/tokens", json={"scopes": scope.split()})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


@dataclass
class Graph:
    """httpx on the simulator's Graph base with a bearer token; every answer's body is kept
    and checked against the documented resource shapes (``problems`` must end up empty)."""

    http: httpx.Client
    token: str
    problems: list[str] = field(default_factory=list)
    calls: int = 0

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else "/v1.0" + path
        response = self.http.request(method, url, headers=headers, **kwargs)
        self.calls += 1
        if response.content:
            select = "$select" in str(response.request.url) or "%24select" in str(
                response.request.url)
            where = f"{method} {path} -> {response.status_code}"
            self.problems += [f"{where}: {p}" for p in body_problems(response.json(),
                                                                     partial=select)]
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


def timed_event(subject: str = "Ticket #1", start: str = "2030-05-01T09:00:00",
                end: str = "2030-05-01T10:00:00", zone: str = "UTC",
                **extra: Any) -> dict[str, Any]:
    return {"subject": subject, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code
