"""Run both simulators on loopback, seeded from a scenario (``zdcal sandbox``, tests, demo)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self

from zdcal.sandbox.background import Background
from zdcal.sandbox.cronofy import CronofySimConfig
from zdcal.sandbox.cronofy import create_app as create_cronofy_app
from zdcal.sandbox.faults import Faults
from zdcal.sandbox.scenario import Scenario, ScenarioError
from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import ZendeskSimConfig
from zdcal.sandbox.zendesk import create_app as create_zendesk_app


def _config(cls: Any, name: str, scenario: Scenario) -> Any:
    faults = Faults()
    try:
        faults.update(scenario.faults.get(name, {}))
    except ValueError as exc:
        raise ScenarioError(f"faults.{name}: {exc}") from exc
    known = {f.name for f in dataclasses.fields(cls)} - {"faults", "seed"}
    overrides = scenario.settings.get(name, {})
    unknown = set(overrides) - known
    if unknown:
        raise ScenarioError(f"settings.{name}: unknown {sorted(unknown)}; known {sorted(known)}")
    try:
        return cls(faults=faults, seed=scenario.seeds.get(name), **overrides)
    except ValueError as exc:  # a setting the simulator refuses (an unknown mode or zone)
        raise ScenarioError(f"settings.{name}: {exc}") from exc


def zendesk_config(scenario: Scenario) -> ZendeskSimConfig:
    config: ZendeskSimConfig = _config(ZendeskSimConfig, "zendesk", scenario)
    return config


def cronofy_config(scenario: Scenario) -> CronofySimConfig:
    config: CronofySimConfig = _config(CronofySimConfig, "cronofy", scenario)
    return config


@dataclass
class Sandbox(Background):
    """Both simulators served over HTTP on loopback. Use as a context manager."""

    zendesk: ServerThread
    cronofy: ServerThread
    zendesk_config: ZendeskSimConfig
    cronofy_config: CronofySimConfig

    @classmethod
    def create(
        cls, scenario: Scenario | None = None, *, zendesk_port: int = 0, cronofy_port: int = 0
    ) -> Sandbox:
        scenario = scenario or Scenario()
        zd, cr = zendesk_config(scenario), cronofy_config(scenario)
        return cls(
            ServerThread(create_zendesk_app(zd), port=zendesk_port),
            ServerThread(create_cronofy_app(cr), port=cronofy_port),
            zd,
            cr,
        )

    def start(self) -> Self:
        self.zendesk.start()
        try:
            self.cronofy.start()
        except BaseException:
            self.zendesk.stop()
            raise
        return self

    def stop(self) -> None:
        self.cronofy.stop()
        self.zendesk.stop()
