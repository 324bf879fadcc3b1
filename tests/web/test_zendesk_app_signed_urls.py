"""The Zendesk app's signed URLs and app tokens over real HTTP: Zendesk's JWT (minted by
the simulator with the app's own key) opens a view once; forged, expired, replayed,
wrong-issuer and wrong-audience tokens, and tampered or expired app tokens, are refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from web_stack import NIA, Stack, open_stack
from zendesk_app_kit import app_api, app_token, install_app, open_view, signed_token

from zdcal.clock import SystemClock


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
def stack(tmp_path: Path, clock: SystemClock) -> Iterator[Stack]:
    with open_stack(tmp_path, clock=clock) as stack:
        yield stack


def forged(installation: int, *, iss: str = "sandbox.zendesk.com", aud_host: str | None = None,
           user: int = NIA, issued: float | None = None) -> str:
    """A token shaped like Zendesk's, signed with a key that is not the app's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(issued if issued is not None else time.time())
    host = aud_host or iss
    return jwt.encode({
        "iss": iss, "aud": f"https://{host}/api/v2/apps/installations/{installation}.json",
        "iat": now, "exp": now + 300, "sub": str(user),
    }, key, algorithm="RS256")


def test_a_signed_url_opens_the_sidebar_with_an_app_token_and_no_cookie(stack: Stack) -> None:
    installation = install_app(stack)
    page = open_view(stack, signed_token(stack, installation, NIA))
    assert page.status_code == 200, page.text
    assert "set-cookie" not in page.headers
    assert "frame-ancestors https://sandbox.zendesk.com" in page.headers["content-security-policy"]
    with app_api(stack, app_token(page)) as api:
        answer = api.get("/tickets/1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ticket_id"] == 1


def test_a_token_is_accepted_once(stack: Stack) -> None:
    installation = install_app(stack)
    token = signed_token(stack, installation, NIA)
    assert open_view(stack, token).status_code == 200
    again = open_view(stack, token)
    assert again.status_code == 401
    assert "already opened once" in again.text
    # The refusal shows inside the account's Zendesk, not as a blocked frame.
    assert "frame-ancestors https://sandbox.zendesk.com" in again.headers[
        "content-security-policy"]


def test_a_token_signed_with_another_key_is_refused(stack: Stack) -> None:
    installation = install_app(stack)
    assert open_view(stack, forged(installation)).status_code == 401


def test_tokens_for_another_account_or_installation_are_refused(stack: Stack) -> None:
    installation = install_app(stack)
    other = open_view(stack, forged(installation, iss="elsewhere.zendesk.com"))
    assert other.status_code == 401
    assert "not connected" in other.text
    mixed = open_view(stack, forged(installation, aud_host="elsewhere.zendesk.com"))
    assert mixed.status_code == 401
    # An installation of the app made for another zdcal: its key is never fetched.
    foreign = install_app(stack, zdcal_url="https://other-zdcal.example")
    refused = open_view(stack, signed_token(stack, foreign, NIA))
    assert refused.status_code == 401
    assert "not installed for this zdcal" in refused.text


def test_garbage_and_missing_tokens_are_refused(stack: Stack) -> None:
    for token in ("", "not-a-jwt", "a.b.c", "x" * 8000):
        assert open_view(stack, token).status_code == 401
    assert open_view(stack, "x" * 9000).status_code == 413  # larger than any form


def test_an_expired_token_is_refused(stack: Stack, clock: SystemClock) -> None:
    installation = install_app(stack)
    token = signed_token(stack, installation, NIA)
    clock.offset_seconds = 400  # the simulator's tokens live 300 s; leeway 30 s
    assert open_view(stack, token).status_code == 401


def test_a_tampered_or_expired_app_token_is_refused(stack: Stack, clock: SystemClock) -> None:
    installation = install_app(stack)
    token = app_token(open_view(stack, signed_token(stack, installation, NIA)))
    head, body, signature = token.split(".")
    tampered = ".".join((head, body, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                       else "BBBB")))
    with app_api(stack, tampered) as api:
        assert api.get("/tickets/1").status_code == 401
    with app_api(stack, "not-ours") as api:
        assert api.get("/tickets/1").status_code == 401
    with httpx.Client(base_url=stack.url, timeout=30) as bare:
        assert bare.get("/zendesk-app/api/tickets/1").status_code == 401
    clock.offset_seconds = 16 * 60
    with app_api(stack, token) as api:
        assert api.get("/tickets/1").status_code == 401
