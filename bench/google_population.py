"""The Google side of the benchmark world: the agents of :mod:`population` as Google
users of the simulator (each with a primary calendar named by their email, as at
Google), token pairs minted without the consent page, and zdcal's settings and store
links pointing at that simulator. Onboarding costs no Calendar API request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from population import BenchAgent, CalendarLink
from zdcal.sandbox.google import GoogleSimConfig
from zdcal.settings import Settings
from zdcal.store import CalendarTokens

GOOGLE_BACKEND = "google"
CLIENT = GoogleSimConfig()  # the simulator's OAuth client, as it is started


def google_settings(settings: Settings, google_url: str, *, per_user: int,
                    per_project: int) -> Settings:
    """``settings`` with Google pointed at the simulator and paced at the given quotas."""
    return settings.model_copy(update={
        "google_api_url": google_url,
        "google_oauth_url": google_url,
        "google_token_url": f"{google_url}/token",
        "google_revoke_url": f"{google_url}/revoke",
        "google_client_id": CLIENT.client_id,
        "google_client_secret": SecretStr(CLIENT.client_secret),
        "google_requests_per_minute_per_user": per_user,
        "google_requests_per_minute_per_project": per_project,
    })


def add_users(google: httpx.Client, team: list[BenchAgent]) -> dict[str, CalendarTokens]:
    """Add every agent as a Google user with one primary calendar; their token pairs."""
    google.post(
        "/_sandbox/users", json={"users": [{"email": a.email} for a in team]}
    ).raise_for_status()
    tokens: dict[str, CalendarTokens] = {}
    for member in team:
        minted = google.post(f"/_sandbox/users/{member.email}/tokens")
        minted.raise_for_status()
        body = minted.json()
        expires = datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
        tokens[member.email] = CalendarTokens(body["access_token"], body["refresh_token"],
                                              expires)
    return tokens


def google_link(tokens: dict[str, CalendarTokens]) -> Callable[[BenchAgent], CalendarLink]:
    """For :func:`population.install`: each agent linked to their Google account, their
    primary calendar chosen."""
    def link(member: BenchAgent) -> CalendarLink:
        return CalendarLink(GOOGLE_BACKEND, member.email, tokens[member.email],
                            member.email, member.email)
    return link
