"""Sessions live on the server: signing out ends them for every copy of the cookie, the
role follows Zendesk within the re-check interval, the session id is stored hashed, and
rotating the secret key signs everyone out."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import closing

import httpx
import pytest
from pydantic import SecretStr
from web_stack import KENJI, NIA, Stack, csrf_of, open_stack, signed_in_client

from zdcal.sandbox.server import ServerThread
from zdcal.store import generate_key
from zdcal.web.app import create_app
from zdcal.web.pages.sessions import COOKIE_NAME, cookie_policy

ROLE_CHECK_SECONDS = 1
OMAR = 1004  # another agent of the default seed


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    overrides = {"web_role_check_interval_seconds": ROLE_CHECK_SECONDS}
    with open_stack(tmp_path_factory.mktemp("sessions"), overrides=overrides) as stack:
        yield stack


def copy_of(stack: Stack, client: httpx.Client, base_url: str | None = None) -> httpx.Client:
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    copy = httpx.Client(base_url=base_url or stack.url, timeout=30)
    copy.cookies.set(COOKIE_NAME, client.cookies[COOKIE_NAME])
    return copy


def set_role(stack: Stack, user_id: int, role: str) -> None:
    """Change someone's role in the simulated Zendesk (as its admin would)."""
    stack.zd.put(f"/api/v2/users/{user_id}", json={"user": {"role": role}}).raise_for_status()


def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.2)


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(stack: Stack) -> None:
    with closing(signed_in_client(stack, NIA)) as nia, closing(copy_of(stack, nia)) as stolen:
        assert stolen.get("/agent").status_code == 200
        answer = nia.post("/signout", data={"csrf_token": csrf_of(nia.get("/agent").text)})
        assert answer.status_code == 303
        assert nia.get("/agent").status_code == 401
        assert stolen.get("/agent").status_code == 401
        assert stolen.get("/").status_code == 200  # the sign-in form, not a 5xx


def test_an_admin_demoted_in_zendesk_loses_the_admin_pages_within_the_interval(
    stack: Stack,
) -> None:
    set_role(stack, KENJI, "admin")
    try:
        with closing(signed_in_client(stack, KENJI, next_page="admin")) as kenji:
            assert kenji.get("/admin").status_code == 200
            set_role(stack, KENJI, "agent")
            demoted_at = time.monotonic()
            eventually(lambda: kenji.get("/admin").status_code == 403)
            assert time.monotonic() - demoted_at < ROLE_CHECK_SECONDS + 10
            assert kenji.get("/agent").status_code == 200  # still an agent
    finally:
        set_role(stack, KENJI, "agent")


def test_someone_who_is_no_longer_an_agent_is_signed_out(stack: Stack) -> None:
    with closing(signed_in_client(stack, OMAR)) as omar:
        assert omar.get("/agent").status_code == 200
        set_role(stack, OMAR, "end-user")
        try:
            eventually(lambda: omar.get("/agent").status_code == 401)
        finally:
            set_role(stack, OMAR, "agent")
        # Being an agent again does not revive the ended session.
        time.sleep(ROLE_CHECK_SECONDS + 0.2)
        assert omar.get("/agent").status_code == 401


def test_the_session_id_is_stored_hashed(stack: Stack) -> None:
    with closing(signed_in_client(stack, NIA)) as nia:
        session = cookie_policy(stack.settings).open(nia.cookies[COOKIE_NAME])
        session_id = str(session.get("sid", ""))
        assert len(session_id) >= 32
        at_rest = b"".join(p.read_bytes() for p in stack.settings.data_dir.glob("zdcal.db*"))
        assert session_id.encode() not in at_rest
        assert hashlib.sha256(session_id.encode()).hexdigest().encode() in at_rest


def test_rotating_the_secret_key_signs_everyone_out(stack: Stack) -> None:
    assert stack.settings.secret_key is not None
    old_key = stack.settings.secret_key.get_secret_value()
    rotated = stack.settings.model_copy(
        update={"secret_key": SecretStr(f"{generate_key()},{old_key}")}
    )
    server = ServerThread(create_app(rotated, run_workers=False)).start()
    try:
        with closing(signed_in_client(stack, NIA)) as nia:
            with closing(copy_of(stack, nia, server.base_url)) as after_rotation:
                assert after_rotation.get("/agent").status_code == 401
            assert nia.get("/agent").status_code == 200  # the old key still reads it
    finally:
        server.stop()
