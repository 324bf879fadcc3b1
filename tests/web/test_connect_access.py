"""Who may connect, and to what: custom Zendesk base URLs only on the operator's host
allowlist, connectable subdomains only on the subdomain allowlist, a remote server's
error text never shown, and ``/metrics`` behind its bearer token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from web_stack import Stack, csrf_of, open_stack

from zdcal.sandbox.server import ServerThread

METRICS_TOKEN = "metrics-bearer-token-for-tests"
TYPED_SECRET = "typed-client-secret-7f3a9c"
REMOTE_TEXT = "REMOTE-TEXT-d41d8c"


@dataclass
class ForeignZendesk:
    """A server on loopback posing as a Zendesk: its token endpoint answers what a test
    sets, and it records every body it was sent."""

    answer: tuple[int, str, str] = (400, "{}", "application/json")
    received: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def tokens(request: Request) -> Response:
            self.received.append((await request.body()).decode())
            status, body, media_type = self.answer
            return Response(body, status_code=status, media_type=media_type)

        return Starlette(routes=[Route("/oauth/tokens", tokens, methods=["POST"])])


@pytest.fixture(scope="module")
def foreign() -> Iterator[tuple[ForeignZendesk, str]]:
    zendesk = ForeignZendesk()
    server = ServerThread(zendesk.app()).start()
    try:
        yield zendesk, server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, foreign: tuple[ForeignZendesk, str]
) -> Iterator[Stack]:
    overrides = {
        "web_custom_zendesk_hosts": [urlsplit(foreign[1]).netloc],
        "zendesk_allowed_subdomains": "sandbox, Foreign",
        "metrics_bearer_token": METRICS_TOKEN,
    }
    with open_stack(tmp_path_factory.mktemp("access"), overrides=overrides) as stack:
        yield stack


def start_connect(stack: Stack, client: httpx.Client, subdomain: str,
                  base_url: str = "") -> httpx.Response:
    form = client.get("/connect")
    return client.post("/connect", data={
        "csrf_token": csrf_of(form.text), "subdomain": subdomain, "base_url": base_url,
        "client_id": "some-client", "client_secret": TYPED_SECRET,
    })


def state_of(redirect: httpx.Response) -> str:
    return httpx.URL(redirect.headers["location"]).params["state"]


# Custom base URLs --------------------------------------------------------------------------


def test_a_base_url_outside_the_host_allowlist_is_refused(
    stack: Stack, foreign: tuple[ForeignZendesk, str]
) -> None:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        unlisted = ("http://127.0.0.1:9", "https://attacker.example",
                    stack.sandbox.zendesk.base_url)
        for url in unlisted:
            answer = start_connect(stack, client, "foreign", url)
            assert answer.status_code == 400, url
            assert "list of Zendesk hosts" in answer.text
        allowed = start_connect(stack, client, "foreign", foreign[1])
        assert allowed.status_code == 303
        assert allowed.headers["location"].startswith(foreign[1] + "/oauth/authorizations/new")


@pytest.mark.parametrize("answer", [
    (400, json.dumps({"error": "invalid_client", "error_description": REMOTE_TEXT}),
     "application/json"),
    (401, f"<html><h1>{REMOTE_TEXT}</h1></html>", "text/html"),
    (200, f"not json {REMOTE_TEXT}", "text/plain"),
    (200, json.dumps({"access_token": REMOTE_TEXT}), "application/json"),
], ids=["oauth-error", "html-error", "not-json", "no-user"])
def test_a_remote_answer_is_never_shown_and_never_a_5xx(
    stack: Stack, foreign: tuple[ForeignZendesk, str], answer: tuple[int, str, str]
) -> None:
    zendesk, url = foreign
    zendesk.answer = answer
    zendesk.received.clear()
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        redirect = start_connect(stack, client, "foreign", url)
        page = client.get("/connect/callback", params={"code": "c0de", "state": state_of(redirect)})
    assert zendesk.received, "zdcal did not call the token endpoint"
    assert page.status_code == 400, page.text
    assert REMOTE_TEXT not in page.text
    assert "could not be connected" in page.text
    assert not [line for line in stack.logs.lines if TYPED_SECRET in line]


def test_a_provider_error_code_is_not_echoed(
    stack: Stack, foreign: tuple[ForeignZendesk, str]
) -> None:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        redirect = start_connect(stack, client, "foreign", foreign[1])
        page = client.get("/connect/callback",
                          params={"error": REMOTE_TEXT, "state": state_of(redirect)})
    assert page.status_code == 400
    assert REMOTE_TEXT not in page.text


# Subdomain allowlist ----------------------------------------------------------------------


def test_only_allowed_subdomains_can_be_connected(
    stack: Stack, foreign: tuple[ForeignZendesk, str]
) -> None:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        for url in ("", foreign[1]):
            refused = start_connect(stack, client, "acme", url)
            assert refused.status_code == 400
            assert "not one this zdcal serves" in refused.text
        assert start_connect(stack, client, "foreign", foreign[1]).status_code == 303


# Metrics ----------------------------------------------------------------------------------


def test_metrics_need_the_bearer_token(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        missing = client.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert "sandbox" not in missing.text
        for wrong in ("Bearer nope", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"):
            assert client.get("/metrics", headers={"Authorization": wrong}).status_code == 401
        good = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert good.status_code == 200
        assert good.headers["content-type"].startswith("text/plain")
        assert client.get("/healthz").status_code == 200  # health stays open
