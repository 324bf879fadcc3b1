"""Microsoft 365 as the registry builds it from the settings (pointed at the simulator):
what it declares, its words and button, and a linked agent's writes through it;
refreshes go through the coordinator it is wired with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from microsoft_backend.ms_backend_support import CLIENT_ID, CLIENT_SECRET, link_agent, upsert
from zdcal.calendars.backend_words import BACKEND_WORDS
from zdcal.calendars.base import (
    Connection,
    EventIds,
    RefreshTokens,
    WriteStatus,
    oauth_linking,
    push_channels,
)
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.calendars.registry import BackendWiring, kind, offered
from zdcal.clock import SystemClock
from zdcal.http.budgets import Budgets
from zdcal.sandbox.server import ServerThread
from zdcal.settings import Settings
from zdcal.store import CalendarTokens
from zdcal.web.pages.agent import CONNECT_BUTTONS
from zdcal.web.pages.event_style_form import form_values
from zdcal.web.pages.rendering import templates

pytestmark = pytest.mark.anyio


def settings_for(server: ServerThread, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path, microsoft_client_id=CLIENT_ID,
        microsoft_client_secret=CLIENT_SECRET, microsoft_login_url=server.base_url + "/",
        microsoft_graph_url=server.base_url + "/", **extra,
    )


async def test_the_registry_builds_microsoft_from_the_settings(
    microsoft_server: ServerThread, sim: httpx.AsyncClient, tmp_path: Path
) -> None:
    settings = settings_for(microsoft_server, tmp_path, microsoft_tenant="organizations")
    microsoft = kind("microsoft")
    assert microsoft.name == "microsoft"
    assert microsoft.connection is Connection.OAUTH
    assert microsoft.configured(settings)
    assert not microsoft.configured(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    assert "microsoft" in offered(settings, Connection.OAUTH)
    assert BACKEND_WORDS["microsoft"] == "Microsoft 365"
    assert CONNECT_BUTTONS["microsoft"] == ("connect-microsoft",
                                            "Connect Outlook (Microsoft 365)")
    stale: list[CalendarTokens] = []

    async def coordinate(tokens: CalendarTokens, refresh: RefreshTokens) -> CalendarTokens:
        stale.append(tokens)
        return await refresh(tokens)

    async with httpx.AsyncClient(timeout=10) as http:
        budgets = Budgets.local()
        backend = microsoft.build(BackendWiring(
            settings, http, microsoft.application_budget(budgets, settings), budgets,
            SystemClock(),
            lambda agent_id: coordinate,
        ))
        assert isinstance(backend, MicrosoftBackend)
        assert oauth_linking(backend) is backend
        assert push_channels(backend) is backend
        capabilities = backend.capabilities
        assert (capabilities.batch_writes, capabilities.batch_size, capabilities.event_ids,
                capabilities.push, capabilities.changes_since, capabilities.all_day_events,
                capabilities.max_reminders, capabilities.private_events,
                capabilities.connection) == (
            True, 20, EventIds.SERVER, True, True, True, 1, True, Connection.OAUTH)
        assert "/organizations/oauth2/v2.0/authorize?" in backend.authorize_url(
            "https://zdcal.example/calendar/callback", "s", "c")

        agent = await link_agent(backend, sim)
        assert agent.tokens is not None
        assert agent.calendar_id is not None
        dead = replace(agent, tokens=CalendarTokens("dead", agent.tokens.refresh_token, None))
        outcomes = await backend.for_agent(dead).apply([upsert(1, agent.calendar_id)])

    assert [o.status for o in outcomes] == [WriteStatus.DONE]
    assert [t.access_token for t in stale] == ["dead"]  # refreshed through the coordinator


def test_microsofts_own_addresses_and_limits_by_default(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert (settings.microsoft_login_url, settings.microsoft_graph_url,
            settings.microsoft_tenant) == (
        "https://login.microsoftonline.com", "https://graph.microsoft.com", "common")
    assert settings.microsoft_requests_per_10_minutes_per_mailbox == 10_000
    assert settings.microsoft_client_secret.get_secret_value() == ""


def test_the_style_form_says_when_the_calendar_keeps_one_reminder() -> None:
    fields = templates.get_template("_style_fields.html")
    style = form_values({})
    one = fields.render(style=style, time_zone="Europe/Berlin", max_reminders=1)
    many = fields.render(style=style, time_zone="Europe/Berlin", max_reminders=5)
    unlinked = fields.render(style=style, time_zone="Europe/Berlin", max_reminders=None)
    assert 'id="one-reminder"' in one
    assert "earliest one listed" in one
    assert 'id="one-reminder"' not in many
    assert 'id="one-reminder"' not in unlinked
