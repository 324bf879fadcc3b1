"""The Microsoft backend against the Microsoft simulator on loopback: the backend built as
the registry builds it, an agent linked through the simulator's consent page, domain
actions and a look at what the simulated mailbox holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from zdcal.calendars.base import EventObject, TokenCoordinator, WriteOutcome
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.calendars.microsoft.oauth import MicrosoftOAuthClient
from zdcal.clock import Clock, SystemClock
from zdcal.domain import Upsert
from zdcal.http import RetryPolicy
from zdcal.http.budgets import Budgets
from zdcal.http.oauth import make_pkce_pair
from zdcal.http.retry import Sleep
from zdcal.store import Agent, CalendarTokens
from zdcal_testing import oauth_agent, task_delete, task_event_id, task_upsert

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "sandbox-client-secret"
USER = "agent@contoso.example"
REDIRECT_URI = "http://127.0.0.1:9/calendar/callback"
QUICK = RetryPolicy(max_attempts=3, base_delay=0.0, max_total_wait=0.0)
"""Tests want the first failure, not minutes of backoff."""


def make_backend(
    base_url: str, http: httpx.AsyncClient, *, policy: RetryPolicy = QUICK,
    sleep: Sleep | None = None, per_mailbox: int = 10_000, clock: Clock | None = None,
    coordinate_refresh: Callable[[int], TokenCoordinator] | None = None,
) -> MicrosoftBackend:
    oauth = MicrosoftOAuthClient(CLIENT_ID, CLIENT_SECRET, base_url, "common")
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    return MicrosoftBackend(
        graph_url=base_url, oauth=oauth, http=http, limiter=None,
        budgets=Budgets.local(clock=clock, sleep=sleep or asyncio.sleep),
        clock=clock or SystemClock(), requests_per_window_per_mailbox=per_mailbox,
        policy=policy, coordinate_refresh=coordinate_refresh, **extra,
    )


async def consent(http: httpx.AsyncClient, authorize_url: str, user: str | None = USER
                  ) -> dict[str, list[str]]:
    """Walk the simulator's consent page as ``user`` (None: cancel); the redirect's query."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    path = urlsplit(authorize_url).path
    page = await http.get(path, params=query)
    assert page.status_code == 200, page.text
    choice = {"user": user} if user else {"decision": "deny"}
    answer = await http.post(path, data={**query, **choice})
    assert answer.status_code == 302, answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [query["state"]]
    return back


async def link_agent(backend: MicrosoftBackend, http: httpx.AsyncClient, **changes: Any
                     ) -> Agent:
    """An agent who linked their mailbox through OAuth (PKCE) and chose its default
    calendar."""
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
    code = (await consent(http, url))["code"][0]
    linked = await backend.link(code, REDIRECT_URI, pkce.verifier)
    assert isinstance(linked.tokens, CalendarTokens)
    calendars = await backend.for_agent(agent(linked.tokens)).calendars()
    primary = next(c for c in calendars if c.primary)
    return agent(linked.tokens, calendar_account_id=linked.calendar_account_id,
                 calendar_id=primary.calendar_id, **changes)


def agent(tokens: CalendarTokens, **changes: Any) -> Agent:
    return oauth_agent(tokens, "microsoft", USER, **{"calendar_name": "Calendar", **changes})


upsert = task_upsert
delete = task_delete
event_id = task_event_id


def stored(actions: list[Upsert], outcomes: list[WriteOutcome]
           ) -> dict[tuple[str, str], EventObject]:
    """What sync records of done upserts (``stored_as`` by calendar and event id)."""
    found = {}
    for action, outcome in zip(actions, outcomes, strict=True):
        if outcome.stored_as is not None:
            found[(action.entry.calendar_id, action.entry.event_id)] = outcome.stored_as
    return found


async def mailbox(http: httpx.AsyncClient, user: str = USER) -> list[dict[str, Any]]:
    """Every live event of the user (with ``calendarId`` and extended properties)."""
    answer = await http.get(f"/_sandbox/users/{user}/events")
    assert answer.status_code == 200, answer.text
    value: list[dict[str, Any]] = answer.json()["value"]
    return value


async def calendar_ids(http: httpx.AsyncClient, user: str = USER) -> list[str]:
    """The user's calendar ids, the default one first."""
    users = (await http.get("/_sandbox/users")).json()["users"]
    found: list[str] = next(u["calendars"] for u in users if u["email"] == user)
    return found


def marker(event: dict[str, Any]) -> str | None:
    """The zdcal property's value on a simulated event, if any."""
    for prop in event.get("singleValueExtendedProperties") or []:
        if prop["id"].endswith("Name zdcalEvent"):
            return str(prop["value"])
    return None


async def routes(http: httpx.AsyncClient) -> dict[str, int]:
    """Graph requests since the last stats reset, by method and route template."""
    answer = (await http.get("/_sandbox/stats")).json()
    by_route: dict[str, int] = answer["by_route"]
    return by_route
