"""The Google backend against the Google simulator on loopback: the backend built as the
registry builds it, an agent linked through the simulator's consent page, domain actions."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.google.oauth import GoogleOAuthClient
from zdcal.clock import Clock, SystemClock
from zdcal.domain import Delete, Upsert
from zdcal.http import RetryPolicy
from zdcal.http.budgets import Budgets
from zdcal.http.oauth import make_pkce_pair
from zdcal.http.retry import Sleep
from zdcal.store import Agent, CalendarTokens
from zdcal_testing import (
    TASK_ACCOUNT_KEY,
    TASK_AGENT_ID,
    oauth_agent,
    task_body,
    task_delete,
    task_event_id,
    task_upsert,
)

CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-client-secret"
USER = "agent@example.com"
CALENDAR = USER  # the primary calendar's id is the user's email
REDIRECT_URI = "http://127.0.0.1:9/oauth/google/callback"
KEY = TASK_ACCOUNT_KEY
AGENT_ID = TASK_AGENT_ID
event_id = task_event_id
body = task_body
QUICK = RetryPolicy(max_attempts=3, base_delay=0.0, max_total_wait=0.0)
"""Tests want the first failure, not minutes of backoff."""


def make_backend(
    base_url: str, http: httpx.AsyncClient, *, policy: RetryPolicy = QUICK,
    sleep: Sleep | None = None, per_user: int = 600, clock: Clock | None = None,
) -> GoogleBackend:
    oauth = GoogleOAuthClient(CLIENT_ID, CLIENT_SECRET, base_url, f"{base_url}/token",
                              f"{base_url}/revoke")
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    return GoogleBackend(
        api_base_url=base_url, oauth=oauth, http=http, limiter=None,
        budgets=Budgets.local(clock=clock, sleep=sleep or asyncio.sleep),
        clock=clock or SystemClock(), requests_per_minute_per_user=per_user, policy=policy,
        **extra,
    )


async def consent(http: httpx.AsyncClient, authorize_url: str, user: str = USER,
                  *, scope: str | None = None) -> str:
    """Walk the simulator's consent page as ``user``; the code it redirects with."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    if scope is not None:
        query["scope"] = scope
    page = await http.get(authorize_url.split("?")[0], params=query)
    assert page.status_code == 200, page.text
    answer = await http.post(authorize_url.split("?")[0], data={**query, "user": user})
    assert answer.status_code == 302, answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [query["state"]]
    return back["code"][0]


async def link_agent(backend: GoogleBackend, http: httpx.AsyncClient, **changes: Any) -> Agent:
    """An agent who linked their Google account through OAuth and chose the primary
    calendar."""
    pkce = make_pkce_pair()
    url = backend.authorize_url(REDIRECT_URI, "st4te", pkce.challenge)
    code = await consent(http, url)
    linked = await backend.link(code, REDIRECT_URI, pkce.verifier)
    assert isinstance(linked.tokens, CalendarTokens)
    return agent(linked.tokens, calendar_account_id=linked.calendar_account_id, **changes)


def agent(tokens: CalendarTokens, **changes: Any) -> Agent:
    return oauth_agent(tokens, "google", USER,
                       **{"calendar_id": CALENDAR, "calendar_name": "Primary", **changes})


def upsert(ticket_id: int, calendar_id: str = CALENDAR, **kwargs: Any) -> Upsert:
    return task_upsert(ticket_id, calendar_id, **kwargs)


def delete(ticket_id: int, calendar_id: str = CALENDAR) -> Delete:
    return task_delete(ticket_id, calendar_id)


async def sim_events(http: httpx.AsyncClient, calendar_id: str = CALENDAR) -> list[Any]:
    """Every event the simulator holds in a calendar (cancelled too), as the API shows it."""
    answer = await http.get(f"/_sandbox/calendars/{calendar_id}/events")
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items
