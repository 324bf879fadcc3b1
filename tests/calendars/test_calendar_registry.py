"""The registry builds calendar backends by name, one way, from the settings; the Cronofy
backend answers only neutral errors and notices. Real HTTP to the Cronofy simulator."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from zdcal.calendars.base import (
    CalendarAuthorizationLost,
    CalendarBackend,
    CalendarRejected,
    PushKind,
    PushRefused,
)
from zdcal.calendars.registry import (
    DEFAULT_BACKEND,
    BackendWiring,
    UnknownCalendarBackend,
    kind,
    names,
)
from zdcal.clock import SystemClock
from zdcal.http.budgets import Budgets
from zdcal.sandbox.cronofy import CronofySimConfig, create_app
from zdcal.sandbox.server import ServerThread
from zdcal.settings import Settings

pytestmark = pytest.mark.anyio

CONFIG = CronofySimConfig()


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with ServerThread(create_app(CONFIG)) as server:
        yield Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path,
            cronofy_api_url=server.base_url,
            cronofy_app_url=server.base_url,
            cronofy_client_id=CONFIG.client_id,
            cronofy_client_secret=CONFIG.client_secret,
        )


def build(settings: Settings, http: httpx.AsyncClient) -> CalendarBackend:
    cronofy = kind("cronofy")
    budgets = Budgets.local()
    return cronofy.build(
        BackendWiring(settings, http, cronofy.application_budget(budgets, settings), budgets,
                      SystemClock(), None)
    )


def test_every_registered_backend_is_found_by_its_name() -> None:
    assert DEFAULT_BACKEND in names()
    assert [kind(name).name for name in names()] == names()
    with pytest.raises(UnknownCalendarBackend):
        kind("nowhere")


async def test_cronofy_declares_what_it_can_do(settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        backend = build(settings, http)
    assert backend.name == "cronofy"
    assert backend.capabilities.batch_writes
    assert backend.capabilities.batch_size == 50
    assert backend.capabilities.push
    assert backend.capabilities.changes_since


async def test_an_unknown_oauth_code_is_a_neutral_refusal(settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        backend = build(settings, http)
        with pytest.raises(CalendarRejected):
            await backend.link(
                    "no-such-code", settings.public_url + "/calendar/callback", "verifier"
                )


async def test_tokens_the_service_refuses_mean_reconnecting(settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        backend = build(settings, http)
        with pytest.raises(CalendarAuthorizationLost):
            await backend.link_tokens("not-a-token", "not-a-refresh-token")


async def test_tokens_the_service_accepts_open_the_account_and_its_calendars(
    settings: Settings,
) -> None:
    async with httpx.AsyncClient() as http:
        backend = build(settings, http)
        linked, calendars = await backend.link_tokens(
            "sandbox-access-ada", "sandbox-refresh-ada"
        )
    assert linked.calendar_account_id
    assert linked.tokens.refresh_token
    assert any(c.writable for c in calendars)


async def test_push_notices_are_verified_then_read(settings: Settings) -> None:
    body = (b'{"notification": {"type": "change"}, "channel": {"channel_id": "chn_1",'
            b' "callback_url": "https://zdcal.example/cb"}}')
    digest = hmac.new(CONFIG.client_secret.encode(), body, hashlib.sha256).digest()
    signed = {"cronofy-hmac-sha256": base64.b64encode(digest).decode()}
    async with httpx.AsyncClient() as http:
        backend = build(settings, http)
    notice = backend.read_push(body, signed)
    assert (notice.kind, notice.channel_id) == (PushKind.CHANGE, "chn_1")
    assert notice.callback_url == "https://zdcal.example/cb"
    with pytest.raises(PushRefused) as refused:
        backend.read_push(body, {"cronofy-hmac-sha256": "forged"})
    assert refused.value.status == 401
    garbled = b"{not json"
    digest = hmac.new(CONFIG.client_secret.encode(), garbled, hashlib.sha256).digest()
    with pytest.raises(PushRefused) as refused:
        backend.read_push(garbled, {"cronofy-hmac-sha256": base64.b64encode(digest).decode()})
    assert refused.value.status == 400
