"""Linking by OAuth (PKCE S256, offline, consent), the account and its calendars, refresh
rules, refusals and revocation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from google_backend.google_backend_support import (
    CALENDAR,
    CLIENT_ID,
    REDIRECT_URI,
    USER,
    consent,
    upsert,
)
from zdcal.calendars.base import (
    CalendarAuthorizationExpired,
    CalendarAuthorizationLost,
    CalendarRejected,
    WriteStatus,
    oauth_linking,
    push_channels,
)
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.oauth import CALENDAR_LIST_SCOPE, EVENTS_SCOPE
from zdcal.http.oauth import make_pkce_pair, pkce_challenge
from zdcal.store import Agent, CalendarTokens

pytestmark = pytest.mark.anyio

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def test_the_authorization_url_asks_for_offline_access_with_pkce(
    backend: GoogleBackend,
) -> None:
    assert oauth_linking(backend) is backend
    assert push_channels(backend) is backend
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)

    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert urlsplit(url).path == "/o/oauth2/v2/auth"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["scope"].split() == [EVENTS_SCOPE, CALENDAR_LIST_SCOPE]
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["state"] == "st4te"
    assert query["code_challenge"] == pkce_challenge(pkce.verifier)
    assert query["code_challenge_method"] == "S256"


async def test_linking_names_the_account_by_its_email_and_offers_its_calendars(
    backend: GoogleBackend, linked: Agent
) -> None:
    assert linked.calendar_account_id == USER
    assert linked.tokens is not None
    assert linked.tokens.expires_at is not None

    calendars = await backend.for_agent(linked).calendars()

    by_id = {c.calendar_id: c for c in calendars}
    assert by_id[CALENDAR].primary
    assert by_id[CALENDAR].writable
    assert by_id[CALENDAR].profile == USER
    holidays = by_id["en.german#holiday@group.v.calendar.google.com"]
    assert not holidays.writable
    assert not holidays.primary


async def test_a_wrong_verifier_is_refused(
    backend: GoogleBackend, sim: httpx.AsyncClient
) -> None:
    pkce = make_pkce_pair()
    code = await consent(sim, backend.authorize_url(REDIRECT_URI, "s", pkce.challenge))

    with pytest.raises(CalendarRejected):
        await backend.link(code, REDIRECT_URI, make_pkce_pair().verifier)


async def test_a_grant_without_the_calendar_list_scope_is_not_a_connection(
    backend: GoogleBackend, sim: httpx.AsyncClient
) -> None:
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "s", pkce.challenge)
    code = await consent(sim, url, scope=EVENTS_SCOPE)  # the user unticked the other

    with pytest.raises(CalendarRejected, match="calendarlist"):
        await backend.link(code, REDIRECT_URI, pkce.verifier)


async def test_tokens_from_elsewhere_are_checked_and_kept(
    backend: GoogleBackend, linked: Agent
) -> None:
    assert linked.tokens is not None
    account, calendars = await backend.link_tokens(
        linked.tokens.access_token, linked.tokens.refresh_token
    )
    assert account.calendar_account_id == USER
    assert any(c.primary for c in calendars)

    with pytest.raises(CalendarAuthorizationLost):
        await backend.link_tokens("not-a-token", "not-a-refresh-token")


async def test_an_expired_access_token_is_refreshed_first(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert linked.tokens is not None
    stale = replace(linked, tokens=CalendarTokens("dead", linked.tokens.refresh_token, LONG_AGO))

    outcomes = await backend.for_agent(stale).apply([upsert(1)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]


async def test_a_refused_access_token_is_refreshed_once(
    backend: GoogleBackend, linked: Agent
) -> None:
    assert linked.tokens is not None
    unknown = replace(linked, tokens=CalendarTokens("dead", linked.tokens.refresh_token, None))

    assert (await backend.for_agent(unknown).apply([upsert(1), upsert(2)]))[1].status is (
        WriteStatus.DONE
    )
    assert len(await backend.for_agent(unknown).calendars()) == 2


async def test_a_revoked_grant_means_reconnect(
    backend: GoogleBackend, linked: Agent, sim: httpx.AsyncClient
) -> None:
    assert (await sim.post(f"/_sandbox/users/{USER}/revoke")).status_code == 200

    with pytest.raises(CalendarAuthorizationExpired):
        await backend.for_agent(linked).apply([upsert(1), upsert(2)])
    with pytest.raises(CalendarAuthorizationExpired):
        await backend.for_agent(linked).calendars()


async def test_revoking_ends_the_grant(
    backend: GoogleBackend, linked: Agent
) -> None:
    await backend.revoke(linked)

    with pytest.raises(CalendarAuthorizationLost):
        await backend.for_agent(linked).calendars()
    await backend.revoke(linked)  # already revoked: nothing to do
