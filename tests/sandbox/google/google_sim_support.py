"""Helpers for the Google simulator tests: OAuth over HTTP, a recording client, validation."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
import httpx
from google_discovery_schema import SchemaChecker, calendar_discovery

AGENT = "agent@example.com"
CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/oauth/google/callback"
ALL_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events "
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
)
DISCOVERY = calendar_discovery()
CHECKER = SchemaChecker(DISCOVERY)
SCHEMA_BY_KIND = {
    "calendar#event": "Event",
    "calendar#events": "Events",
    "calendar#calendarList": "CalendarList",
    "calendar#calendarListEntry": "CalendarListEntry",
    "api#channel": "Channel",
}


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    scope: str


def authorize(http: httpx.Client, user: str, *, scope: str = ALL_SCOPES,
              offline: bool = True, prompt: str | None = None,
              verifier: str | None = None) -> str:
    """Walk the consent page as ``user`` would; return the authorization code."""
    verifier = verifier or secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": scope, "state": "st4te", "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
        **({"access_type": "offline"} if offline else {}),
        **({"prompt": prompt} if prompt else {}),
    }
    page = http.get("/o/oauth2/v2/auth", params=params)
    assert page.status_code == 200, page.text
    assert user in page.text
    answer = http.post("/o/oauth2/v2/auth", data={**params, "user": user})
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def exchange(http: httpx.Client, code: str, verifier: str) -> httpx.Response:
    return http.post("/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code_verifier": verifier,
    })


def connect(http: httpx.Client, user: str, scope: str = ALL_SCOPES) -> Tokens:
    """A full offline OAuth flow with PKCE; the tokens the token endpoint answered."""
    verifier = secrets.token_urlsafe(48)
    code = authorize(http, user, scope=scope, verifier=verifier)
    answer = exchange(http, code, verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return Tokens(body["access_token"], body.get("refresh_token"), body["scope"])


@dataclass
class Exchange:
    method: str
    uri: str
    status: int
    body: bytes


class RecordingHttp(httplib2.Http):  # type: ignore[misc]
    """httplib2 that keeps every exchange, so each body can be checked afterwards."""

    def __init__(self) -> None:
        super().__init__(timeout=10)
        self.log: list[Exchange] = []

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        response, content = super().request(uri, method, *args, **kwargs)
        self.log.append(Exchange(method, uri, response.status, content))
        return response, content


def schema_problems(log: list[Exchange]) -> list[str]:
    """Every body the simulator sent, checked: resources against the discovery schemas,
    errors against Google's error shape, batch answers part by part. Nothing goes unchecked."""
    problems: list[str] = []
    for exchange_ in log:
        where = f"{exchange_.method} {exchange_.uri} -> {exchange_.status}"
        if "/batch/calendar/v3" in exchange_.uri and exchange_.status == 200:
            for index, (status, body) in enumerate(batch_parts(exchange_.body)):
                problems += body_problems(f"{where} part {index}", status, body)
        elif "/calendar/v3" in exchange_.uri:  # a single call, or a failed batch envelope
            problems += body_problems(where, exchange_.status, exchange_.body)
        # anything else is the client's own token refresh: OAuth, not the Calendar API
    return problems


def batch_parts(content: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each inner response of a multipart/mixed batch answer."""
    boundary = content.split(b"\r\n", 1)[0]
    found = []
    for chunk in content.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        inner = chunk.split(b"\r\n\r\n", 1)[1]
        status_line, rest = inner.split(b"\r\n", 1)
        found.append((int(status_line.split(b" ")[1]), rest.split(b"\r\n\r\n", 1)[1].strip()))
    return found


def body_problems(where: str, status: int, content: bytes) -> list[str]:
    if status == 204:
        return [f"{where}: 204 with a body"] if content else []
    body = json.loads(content)
    if "error" in body:
        return [f"{where}: {p}" for p in error_shape_problems(body)]
    schema = SCHEMA_BY_KIND.get(body.get("kind"))
    if schema is None:
        return [f"{where}: no schema for kind {body.get('kind')!r}"]
    return [f"{where}: {p}" for p in CHECKER.problems(body, schema)]


def error_shape_problems(body: dict[str, Any]) -> list[str]:
    error = body.get("error")
    if not isinstance(error, dict) or set(body) != {"error"}:
        return ["not {'error': {...}}"]
    problems = []
    if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
        problems.append("error.code/message missing")
    details = error.get("errors")
    if not isinstance(details, list) or not details:
        problems.append("error.errors missing")
    else:
        for detail in details:
            if not {"domain", "reason", "message"} <= set(detail):
                problems.append(f"error detail incomplete: {detail}")
    if not isinstance(error.get("status"), str):
        problems.append("error.status missing")
    return problems


def reason_of(content: bytes) -> str:
    reason: str = json.loads(content)["error"]["errors"][0]["reason"]
    return reason
