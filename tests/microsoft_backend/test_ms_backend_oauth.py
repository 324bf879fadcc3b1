"""Linking by OAuth on the identity platform: the consent page with PKCE, the code for
tokens, the mailbox's id; refused consent and missing permissions; rotating refresh
tokens stored on every refresh; a revoked grant → reconnect."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from microsoft_backend.ms_backend_support import (
    REDIRECT_URI,
    USER,
    consent,
    link_agent,
    make_backend,
    upsert,
)
from zdcal.calendars.base import (
    CalendarAuthorizationExpired,
    CalendarRejected,
    RefreshTokens,
    TokenCoordinator,
    WriteStatus,
)
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.http.oauth import make_pkce_pair
from zdcal.sandbox.microsoft import MicrosoftSimConfig, create_app
from zdcal.sandbox.server import ServerThread
from zdcal.store import CalendarTokens

pytestmark = pytest.mark.anyio


class Store:
    """The coordinator's part that matters here: every refresh's tokens, stored."""

    def __init__(self) -> None:
        self.saved: list[CalendarTokens] = []

    def coordinator(self, _agent_id: int) -> TokenCoordinator:
        async def coordinate(stale: CalendarTokens, refresh: RefreshTokens) -> CalendarTokens:
            fresh = await refresh(stale)
            self.saved.append(fresh)
            return fresh

        return coordinate


async def test_an_agent_links_through_consent_with_pkce(
    backend: MicrosoftBackend, sim: httpx.AsyncClient
) -> None:
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/common/oauth2/v2.0/authorize"
    assert query["code_challenge"] == [pkce.challenge]
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["offline_access Calendars.ReadWrite User.Read"]

    code = (await consent(sim, url))["code"][0]
    linked = await backend.link(code, REDIRECT_URI, pkce.verifier)

    users = (await sim.get("/_sandbox/users")).json()["users"]
    assert linked.calendar_account_id == next(u["id"] for u in users if u["email"] == USER)
    assert isinstance(linked.tokens, CalendarTokens)
    assert linked.tokens.refresh_token
    assert linked.tokens.expires_at is not None
    with pytest.raises(CalendarRejected):  # single use
        await backend.link(code, REDIRECT_URI, pkce.verifier)


async def test_a_wrong_verifier_is_refused(
    backend: MicrosoftBackend, sim: httpx.AsyncClient
) -> None:
    pkce = make_pkce_pair()
    code = (await consent(sim, backend.authorize_url(REDIRECT_URI, "s", pkce.challenge)))
    with pytest.raises(CalendarRejected):
        await backend.link(code["code"][0], REDIRECT_URI, make_pkce_pair().verifier)


async def test_refused_consent_comes_back_as_access_denied(
    backend: MicrosoftBackend, sim: httpx.AsyncClient
) -> None:
    url = backend.authorize_url(REDIRECT_URI, "st4te", make_pkce_pair().challenge)
    back = await consent(sim, url, user=None)
    assert back["error"] == ["access_denied"]
    assert "AADSTS65004" in back["error_description"][0]


async def test_a_grant_without_calendar_writes_is_not_connected(
    backend: MicrosoftBackend, sim: httpx.AsyncClient
) -> None:
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
    narrowed = url.replace("Calendars.ReadWrite", "Calendars.Read")
    code = (await consent(sim, narrowed))["code"][0]
    with pytest.raises(CalendarRejected, match="write calendars"):
        await backend.link(code, REDIRECT_URI, pkce.verifier)


@pytest.fixture(scope="module")
def strict_server() -> Iterator[ServerThread]:
    """A simulator where a replaced refresh token dies at once."""
    with ServerThread(create_app(MicrosoftSimConfig(old_refresh_token_grace_seconds=0))
                      ) as server:
        yield server


async def test_every_refresh_stores_the_rotated_refresh_token(
    strict_server: ServerThread,
) -> None:
    store = Store()
    async with httpx.AsyncClient(base_url=strict_server.base_url, timeout=10) as sim, \
            httpx.AsyncClient(timeout=10) as http:
        await sim.post("/_sandbox/reset")
        backend = make_backend(strict_server.base_url, http,
                               coordinate_refresh=store.coordinator)
        agent = await link_agent(backend, sim)
        assert agent.tokens is not None
        assert agent.calendar_id is not None
        past = datetime.now(UTC) - timedelta(minutes=5)
        stale = replace(agent, tokens=replace(agent.tokens, expires_at=past))

        first = await backend.for_agent(stale).apply([upsert(1, agent.calendar_id)])
        assert first[0].status is WriteStatus.DONE
        assert len(store.saved) == 1
        assert store.saved[0].refresh_token != agent.tokens.refresh_token

        # The stored one works next time (the old one is dead on this simulator).
        again = replace(agent, tokens=replace(store.saved[0], expires_at=past))
        second = await backend.for_agent(again).apply([upsert(2, agent.calendar_id)])
        assert second[0].status is WriteStatus.DONE
        assert len(store.saved) == 2
        with pytest.raises(CalendarAuthorizationExpired):
            await backend.for_agent(stale).calendars()


async def test_a_revoked_grant_needs_reconnecting(
    backend: MicrosoftBackend, sim: httpx.AsyncClient
) -> None:
    agent = await link_agent(backend, sim)
    assert agent.calendar_id is not None
    assert (await sim.post(f"/_sandbox/users/{USER}/revoke")).status_code == 200

    with pytest.raises(CalendarAuthorizationExpired, match="connect Outlook again"):
        await backend.for_agent(agent).apply([upsert(1, agent.calendar_id)])

