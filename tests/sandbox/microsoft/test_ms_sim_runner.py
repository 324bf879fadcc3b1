"""The runner serving the Microsoft Graph simulator beside the others: a scenario's
``microsoft`` users, ``faults.microsoft`` knobs and ``settings.microsoft`` config fields."""

from __future__ import annotations

import httpx
import pytest

from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import ScenarioError, parse_scenario


def test_the_runner_serves_microsoft_when_asked() -> None:
    scenario = parse_scenario({
        "microsoft": {"users": [{"email": "solo@contoso.example", "displayName": "Solo",
                                 "calendars": [{"name": "Calendar"}, {"name": "Tasks"}]}]},
        "faults": {"microsoft": {"latency_ms": 1}},
        "settings": {"microsoft": {"tenant_id": "tenant-from-scenario"}},
    })
    with Sandbox.create(scenario, microsoft=True) as sandbox:
        assert sandbox.google is None
        assert sandbox.microsoft is not None
        assert sandbox.microsoft_config is not None
        assert sandbox.microsoft_config.tenant_id == "tenant-from-scenario"
        with httpx.Client(base_url=sandbox.microsoft.base_url) as http:
            (user,) = http.get("/_sandbox/users").json()["users"]
            faults = http.get("/_sandbox/faults").json()
            metadata = http.get("/tenant-from-scenario/v2.0/.well-known/openid-configuration")

    assert user["email"] == "solo@contoso.example"
    assert len(user["calendars"]) == 2
    assert faults["latency_ms"] == 1
    assert metadata.status_code == 200
    assert metadata.json()["issuer"].endswith("/tenant-from-scenario/v2.0")


def test_the_runner_leaves_microsoft_out_unless_asked() -> None:
    with Sandbox.create() as sandbox:
        assert sandbox.microsoft is None
        assert sandbox.microsoft_config is None


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        pytest.param({"settings": {"microsoft": {"colour": 1}}},
                     r"settings\.microsoft: unknown \['colour'\]", id="unknown-setting"),
        pytest.param({"microsoft": {"users": "none"}}, r"settings\.microsoft: give",
                     id="bad-users"),
        pytest.param({"faults": {"microsoft": {"error_rate": 3}}},
                     r"faults\.microsoft: error_rate must be between 0 and 1", id="bad-fault"),
    ],
)
def test_a_microsoft_scenario_the_simulator_refuses_says_why(
    scenario: dict[str, object], message: str,
) -> None:
    with pytest.raises(ScenarioError, match=message):
        Sandbox.create(parse_scenario(scenario), microsoft=True)
