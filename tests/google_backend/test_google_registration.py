"""Google as the registry builds it from the settings (pointed at the simulator): what it
declares, its words, and a linked agent's writes through it; refreshes go through the
coordinator it is wired with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from google_backend.google_backend_support import CLIENT_ID, CLIENT_SECRET, link_agent, upsert
from zdcal.calendars.backend_words import BACKEND_WORDS
from zdcal.calendars.base import (
    Connection,
    EventIds,
    RefreshTokens,
    WriteStatus,
)
from zdcal.calendars.google.connector import GoogleBackend
from zdcal.calendars.registry import BackendWiring, kind
from zdcal.clock import SystemClock
from zdcal.http.budgets import Budgets
from zdcal.http.pacing import Rate
from zdcal.sandbox.server import ServerThread
from zdcal.settings import Settings
from zdcal.store import CalendarTokens

pytestmark = pytest.mark.anyio


def settings_for(server: ServerThread, tmp_path: Path, **extra: object) -> Settings:
    base = server.base_url
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path, google_client_id=CLIENT_ID, google_client_secret=CLIENT_SECRET,
        google_api_url=base + "/", google_oauth_url=base, google_token_url=base + "/token",
        google_revoke_url=base + "/revoke", **extra,
    )


async def test_the_registry_builds_google_from_the_settings(
    google_server: ServerThread, sim: httpx.AsyncClient, tmp_path: Path
) -> None:
    settings = settings_for(google_server, tmp_path, google_requests_per_minute_per_user=90)
    google = kind("google")
    assert google.name == "google"
    assert google.configured(settings)
    assert not google.configured(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    assert BACKEND_WORDS["google"] == "Google Calendar"
    stale: list[CalendarTokens] = []

    async def coordinate(tokens: CalendarTokens, refresh: RefreshTokens) -> CalendarTokens:
        stale.append(tokens)
        return await refresh(tokens)

    async with httpx.AsyncClient(timeout=10) as http:
        budgets = Budgets.local()
        backend = google.build(BackendWiring(
            settings, http, google.application_budget(budgets, settings), budgets,
            SystemClock(),
            lambda agent_id: coordinate,
        ))
        assert isinstance(backend, GoogleBackend)
        capabilities = backend.capabilities
        assert (capabilities.batch_writes, capabilities.batch_size, capabilities.event_ids,
                capabilities.push, capabilities.changes_since, capabilities.all_day_events,
                capabilities.max_reminders, capabilities.private_events,
                capabilities.connection) == (
            True, 50, EventIds.CLIENT, True, True, True, 5, True, Connection.OAUTH)
        assert backend.user_limiter("x@example.com").rates == (Rate(90, 60.0),)

        agent = await link_agent(backend, sim)
        assert agent.tokens is not None
        dead = replace(agent, tokens=CalendarTokens("dead", agent.tokens.refresh_token, None))
        outcomes = await backend.for_agent(dead).apply([upsert(1)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    assert [t.access_token for t in stale] == ["dead"]  # refreshed through the coordinator


def test_the_per_project_quota_comes_from_the_settings(tmp_path: Path) -> None:
    google = kind("google")
    settings = Settings(
        _env_file=None, data_dir=tmp_path,  # type: ignore[call-arg]
        google_requests_per_minute_per_project=1234,
    )
    default = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    budgets = Budgets.local()
    assert google.application_budget(budgets, default).rates == (Rate(10_000, 60.0),)
    assert google.application_budget(budgets, settings).rates == (Rate(1234, 60.0),)
    assert google.application_budget(budgets, settings).scope == "google:project"


def test_googles_own_addresses_and_quotas_by_default(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert (settings.google_api_url, settings.google_oauth_url, settings.google_token_url,
            settings.google_revoke_url) == (
        "https://www.googleapis.com", "https://accounts.google.com",
        "https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/revoke")
    assert settings.google_requests_per_minute_per_project == 10_000
    assert settings.google_requests_per_minute_per_user == 600
    assert settings.google_client_secret.get_secret_value() == ""
