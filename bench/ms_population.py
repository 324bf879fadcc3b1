"""The Microsoft 365 side of the benchmark world: the agents of :mod:`population` as
mailboxes of the Graph simulator (one calendar each, the default one), token pairs minted
without the consent page, zdcal's settings and store links pointing at that simulator,
and where each task's event is in Graph. Onboarding costs no Graph request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from population import BenchAgent, CalendarLink
from zdcal.calendars.microsoft.event_shape import PROPERTY_ID
from zdcal.sandbox.microsoft import MicrosoftSimConfig
from zdcal.settings import Settings
from zdcal.store import CalendarTokens

MICROSOFT_BACKEND = "microsoft"
CLIENT = MicrosoftSimConfig()  # the simulator's app registration, as it is started


def microsoft_users(team: list[BenchAgent]) -> dict[str, Any]:
    """A scenario's ``microsoft`` key: every agent a mailbox with one calendar."""
    return {"users": [{"email": a.email, "displayName": f"Agent {a.index}",
                       "calendars": [{"name": "Calendar"}]} for a in team]}


def microsoft_settings(settings: Settings, microsoft_url: str) -> Settings:
    """``settings`` with Microsoft 365 pointed at the simulator (its identity platform and
    Graph on one host, as ``Sandbox.microsoft_settings`` says)."""
    return settings.model_copy(update={
        "microsoft_client_id": CLIENT.client_id,
        "microsoft_client_secret": SecretStr(CLIENT.client_secret),
        "microsoft_tenant": "common",
        "microsoft_login_url": microsoft_url,
        "microsoft_graph_url": microsoft_url,
    })


def mint_links(microsoft: httpx.Client) -> dict[str, CalendarLink]:
    """Each mailbox's token pair (as after the consent) and its calendar, by email."""
    users = microsoft.get("/_sandbox/users")
    users.raise_for_status()
    links: dict[str, CalendarLink] = {}
    for user in users.json()["users"]:
        minted = microsoft.post(f"/_sandbox/users/{user['email']}/tokens", json={})
        minted.raise_for_status()
        body = minted.json()
        expires = datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
        tokens = CalendarTokens(body["access_token"], body["refresh_token"], expires)
        links[user["email"].lower()] = CalendarLink(
            MICROSOFT_BACKEND, str(user["id"]), tokens, str(user["calendars"][0]), "Calendar"
        )
    return links


def microsoft_link(links: dict[str, CalendarLink]) -> Callable[[BenchAgent], CalendarLink]:
    """For :func:`population.install`: each agent linked to their mailbox."""
    return lambda member: links[member.email.lower()]


def zdcal_events(microsoft: httpx.Client, email: str) -> dict[str, dict[str, Any]]:
    """The mailbox's live events that zdcal wrote, by zdcal's event id (its extended
    property), as the simulator holds them."""
    listed = microsoft.get(f"/_sandbox/users/{email}/events")
    listed.raise_for_status()
    found: dict[str, dict[str, Any]] = {}
    for event in listed.json()["value"]:
        for prop in event.get("singleValueExtendedProperties") or ():
            if prop.get("id") == PROPERTY_ID:
                found[str(prop["value"])] = event
    return found
