"""Security of the pages over plain HTTP: OAuth state, CSRF, sessions, roles, cookies,
framing, and no secret at rest or in the logs after a full journey."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from web_stack import (
    ADMIN,
    KENJI,
    NIA,
    ZENDESK_CLIENT,
    Stack,
    calendar,
    connect_calendar,
    csrf_of,
    open_stack,
    signed_in_client,
    zendesk_consent,
)

from zdcal.runtime import Runtime
from zdcal.store import ZendeskOAuth
from zdcal.web.pages.sessions import COOKIE_NAME

DUE = "2030-05-01T15:00:00Z"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tasks = [(NIA, DUE, "Renew Acme's contract"), (KENJI, DUE, "Ship the parcel")]
    with open_stack(tmp_path_factory.mktemp("web"), tasks=tasks) as stack:
        yield stack


@pytest.fixture(scope="module")
def nia(stack: Stack) -> Iterator[httpx.Client]:
    client = signed_in_client(stack, NIA)
    assert connect_calendar(stack, client, "ada").headers["location"] == "/agent"
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def kenji(stack: Stack) -> Iterator[httpx.Client]:
    client = signed_in_client(stack, KENJI)
    assert connect_calendar(stack, client, "bob").headers["location"] == "/agent"
    try:
        yield client
    finally:
        client.close()


def anonymous(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.url, timeout=30)


# OAuth state -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/signin/callback", "/connect/callback"])
def test_a_callback_without_a_flow_in_this_session_is_refused(stack: Stack, path: str) -> None:
    with anonymous(stack) as client:
        answer = client.get(path, params={"code": "stolen-code", "state": "guessed"})
        assert answer.status_code == 400
        assert "not started here" in answer.text
        assert client.get("/agent").status_code == 401


def test_a_forged_state_is_refused_and_the_flow_is_spent(stack: Stack) -> None:
    with anonymous(stack) as client:
        start = client.get("/signin", params={"account": "sandbox"})
        back = zendesk_consent(stack, start.headers["location"], NIA)
        code = httpx.URL(back).params["code"]
        assert client.get("/signin/callback", params={"code": code, "state": "forged"}
                          ).status_code == 400
        # The genuine answer cannot be replayed after the flow was spent.
        assert client.get(back).status_code == 400
        assert client.get("/agent").status_code == 401


def test_a_missing_state_is_refused(stack: Stack) -> None:
    with anonymous(stack) as client:
        start = client.get("/signin", params={"account": "sandbox"})
        back = zendesk_consent(stack, start.headers["location"], NIA)
        code = httpx.URL(back).params["code"]
        assert client.get("/signin/callback", params={"code": code}).status_code == 400


def test_a_calendar_answer_with_a_forged_state_changes_nothing(
    stack: Stack, kenji: httpx.Client
) -> None:
    before = stack.events(calendar("bob"))
    answer = kenji.get("/calendar/callback", params={"code": "x", "state": "forged"})
    assert answer.status_code == 400
    assert stack.events(calendar("bob")) == before


# CSRF ---------------------------------------------------------------------------------------

AGENT_FORMS = {
    "/agent/style": {"mode": "timed", "local_time": "08:00", "duration_minutes": "30"},
    "/agent/calendar": {"calendar_id": calendar("bob", "tasks")},
    "/agent/disconnect": {},
    "/calendar/connect": {},
    "/signout": {},
    "/connect": {"subdomain": "other", "client_id": "a", "client_secret": "b"},
}


@pytest.mark.parametrize("path", sorted(AGENT_FORMS))
@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
def test_every_agent_form_needs_the_csrf_token(
    stack: Stack, kenji: httpx.Client, path: str, token: str | None
) -> None:
    data = dict(AGENT_FORMS[path])
    if token is not None:
        data["csrf_token"] = token
    before = stack.events(calendar("bob"))
    answer = kenji.post(path, data=data)
    assert answer.status_code == 403, answer.text
    assert stack.events(calendar("bob")) == before
    assert kenji.get("/agent").status_code == 200  # still signed in, still connected
    assert "Disconnect my calendar" in kenji.get("/agent").text


@pytest.mark.parametrize("path", ["/admin/resync", "/admin/verify", "/admin/bootstrap"])
def test_every_admin_form_needs_the_csrf_token(stack: Stack, path: str) -> None:
    with closing(signed_in_client(stack, ADMIN, next_page="admin")) as admin:
        assert admin.get("/admin").status_code == 200
        assert admin.post(path, data={"agent_id": "1"}).status_code == 403
        assert admin.post(path, data={"agent_id": "1", "csrf_token": "no"}).status_code == 403
        page = admin.get("/admin")
        answer = admin.post(path, data={"agent_id": "1", "csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303


# Sessions and roles ----------------------------------------------------------------------------


def test_another_agents_session_cannot_act_on_mine(
    stack: Stack, nia: httpx.Client, kenji: httpx.Client
) -> None:
    mine = stack.events(calendar("ada"))
    assert len(mine) == 1
    token = csrf_of(kenji.get("/agent").text)
    # Kenji's session names Kenji; no form field can name someone else.
    kenji.post("/agent/calendar", data={"csrf_token": token, "calendar_id": calendar("ada")})
    kenji.post("/agent/style", data={"csrf_token": token, "mode": "all_day", "private": "on",
                                     "agent_id": "1", "zendesk_user_id": str(NIA)})
    assert stack.events(calendar("ada")) == mine
    # Nia's CSRF token is useless in Kenji's session.
    nia_token = csrf_of(nia.get("/agent").text)
    assert kenji.post("/agent/disconnect", data={"csrf_token": nia_token}).status_code == 403
    assert stack.events(calendar("ada")) == mine
    assert "Nia Agent" in nia.get("/agent").text


def test_a_tampered_session_cookie_is_no_session(stack: Stack, nia: httpx.Client) -> None:
    cookie = nia.cookies[COOKIE_NAME]
    tampered = cookie[:-6] + ("AAAAAA" if not cookie.endswith("AAAAAA") else "BBBBBB")
    with anonymous(stack) as client:
        client.cookies.set(COOKIE_NAME, tampered)
        assert client.get("/agent").status_code == 401


def test_admin_pages_need_the_admin_role(stack: Stack, kenji: httpx.Client) -> None:
    assert kenji.get("/admin").status_code == 403
    token = csrf_of(kenji.get("/agent").text)
    for path in ("/admin/resync", "/admin/verify", "/admin/bootstrap"):
        assert kenji.post(path, data={"csrf_token": token, "agent_id": "1"}).status_code == 403
    with anonymous(stack) as client:
        assert client.get("/admin").status_code == 401


def test_end_users_cannot_sign_in(stack: Stack) -> None:
    with anonymous(stack) as client:
        start = client.get("/signin", params={"account": "sandbox"})
        answer = client.get(zendesk_consent(stack, start.headers["location"], 1100))
        assert answer.status_code == 403
        assert client.get("/agent").status_code == 401


def test_only_a_zendesk_admin_can_connect_an_account(stack: Stack) -> None:
    with anonymous(stack) as client:
        form = client.get("/connect")
        start = client.post("/connect", data={
            "csrf_token": csrf_of(form.text), "subdomain": "sandbox",
            "base_url": stack.sandbox.zendesk.base_url,
            "client_id": ZENDESK_CLIENT[0], "client_secret": ZENDESK_CLIENT[1],
        })
        assert start.status_code == 303
        answer = client.get(zendesk_consent(stack, start.headers["location"], KENJI))
        assert answer.status_code == 403
        assert "not an admin" in answer.text


def test_a_connected_account_cannot_be_pointed_elsewhere(stack: Stack) -> None:
    refusals = {
        f"{stack.sandbox.zendesk.base_url}/elsewhere": "another base URL",  # an allowed host
        "http://127.0.0.1:9": "list of Zendesk hosts",
    }
    with anonymous(stack) as client:
        for elsewhere, reason in refusals.items():
            form = client.get("/connect")
            answer = client.post("/connect", data={
                "csrf_token": csrf_of(form.text), "subdomain": "sandbox",
                "base_url": elsewhere, "client_id": "a", "client_secret": "b",
            })
            assert answer.status_code == 400
            assert reason in answer.text


# Headers and cookies -----------------------------------------------------------------------------


def frame_ancestors(response: httpx.Response) -> str:
    policy = response.headers["content-security-policy"]
    (directive,) = [d.strip() for d in policy.split(";") if "frame-ancestors" in d]
    return directive


def test_frame_ancestors_allow_only_the_accounts_own_zendesk(
    stack: Stack, nia: httpx.Client
) -> None:
    zendesk_origin = stack.sandbox.zendesk.base_url
    expected = f"frame-ancestors https://sandbox.zendesk.com {zendesk_origin}"
    assert frame_ancestors(nia.get("/agent")) == expected
    with anonymous(stack) as client:
        assert frame_ancestors(client.get("/")) == "frame-ancestors 'none'"
        assert frame_ancestors(client.get("/?account=sandbox")) == expected
        assert frame_ancestors(client.get("/?account=nope")) == "frame-ancestors 'none'"


def test_cookie_flags_over_plain_http(stack: Stack) -> None:
    with anonymous(stack) as client:
        cookie = client.get("/connect").headers["set-cookie"]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert {"httponly", "samesite=lax", "path=/"} <= set(flags)
    assert "secure" not in flags


def test_cookie_flags_when_served_over_https(tmp_path: Path) -> None:
    with open_stack(tmp_path, with_account=False, public_url="https://zdcal.example") as stack, \
            anonymous(stack) as client:
        cookie = client.get("/connect").headers["set-cookie"]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert {"httponly", "secure", "samesite=none"} <= set(flags)


# Secrets at rest and in logs ---------------------------------------------------------------------


def test_no_token_or_secret_in_the_database_or_the_logs(tmp_path: Path) -> None:
    with open_stack(tmp_path, with_account=False, tasks=[(NIA, DUE, "Renew")]) as stack:
        with anonymous(stack) as admin:
            form = admin.get("/connect")
            start = admin.post("/connect", data={
                "csrf_token": csrf_of(form.text), "subdomain": "sandbox",
                "base_url": stack.sandbox.zendesk.base_url,
                "client_id": ZENDESK_CLIENT[0], "client_secret": ZENDESK_CLIENT[1],
            })
            code_url = zendesk_consent(stack, start.headers["location"], ADMIN)
            assert admin.get(code_url).status_code == 303
            session_cookies = [admin.cookies[COOKIE_NAME]]
        with closing(signed_in_client(stack, NIA)) as agent:
            assert connect_calendar(stack, agent, "ada").headers["location"] == "/agent"
            session_cookies.append(agent.cookies[COOKIE_NAME])
        webhook = stack.zd.get("/_sandbox/state").json()["webhooks"][0]
        stored = _stored_zendesk_credentials(stack)
        cronofy = stack.cr.get("/_sandbox/accounts").json()["accounts"]
        secrets = {
            ZENDESK_CLIENT[1], stack.settings.cronofy_client_secret.get_secret_value(),
            stored.access_token, str(stored.refresh_token),
            *(g[k] for a in cronofy for g in a["grants"] for k in ("access_token", "refresh_token")
              if g[k]),
            *(v for k, v in webhook.items() if "secret" in k and isinstance(v, str)),
            httpx.URL(code_url).params["code"], *session_cookies,
        }
        secrets = {s for s in secrets if s and len(s) >= 8}
        assert len(secrets) >= 8
    at_rest = b"".join(p.read_bytes() for p in stack.settings.data_dir.glob("zdcal.db*"))
    assert len(stack.logs.lines) > 10  # the capture did see the journey
    for secret in secrets:
        assert secret.encode() not in at_rest, "a secret is stored in plain text"
        leaked = [line[:400] for line in stack.logs.lines if secret in line]
        assert not leaked, f"a secret was logged: {leaked}"


def _stored_zendesk_credentials(stack: Stack) -> ZendeskOAuth:
    async def read() -> ZendeskOAuth:
        async with await Runtime.open(stack.settings) as runtime, runtime.store.transaction() as tx:
            account = await tx.accounts.get_by_subdomain("sandbox")
        assert account is not None
        assert isinstance(account.credentials, ZendeskOAuth)
        return account.credentials

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()
