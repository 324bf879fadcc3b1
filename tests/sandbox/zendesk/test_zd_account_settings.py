"""GET /api/v2/account/settings: the account's time zone, as Zendesk's reference lists it."""

from __future__ import annotations

import pytest

from zdcal.sandbox.runner import zendesk_config
from zdcal.sandbox.scenario import Scenario, ScenarioError
from zdcal.sandbox.zendesk import ZendeskSimConfig

from .conftest import Sim, SimFactory, assert_matches_schema


def test_the_default_account_is_in_utc(sim: Sim) -> None:
    answer = sim.agent.get("/api/v2/account/settings.json")
    assert answer.status_code == 200
    assert_matches_schema(answer.json(), "AccountSettingsResponse")
    localization = answer.json()["settings"]["localization"]
    assert localization == {"locale_ids": [1], "time_zone": "UTC", "iana_time_zone": "Etc/UTC"}


def test_the_account_zone_is_configurable(make_sim: SimFactory) -> None:
    sim = make_sim(ZendeskSimConfig(time_zone="Pacific/Auckland"))
    localization = sim.admin.get("/api/v2/account/settings").json()["settings"]["localization"]
    assert (localization["time_zone"], localization["iana_time_zone"]) == (
        "Auckland", "Pacific/Auckland"
    )


def test_account_settings_are_for_agents(sim: Sim) -> None:
    assert sim.anonymous.get("/api/v2/account/settings").status_code == 401
    assert sim.end_user.get("/api/v2/account/settings").status_code == 403


def test_a_scenario_with_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ScenarioError, match="time_zone 'Mars/Base' is not an IANA time zone"):
        zendesk_config(Scenario(settings={"zendesk": {"time_zone": "Mars/Base"}}))
