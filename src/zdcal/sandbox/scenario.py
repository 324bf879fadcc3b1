"""Scenario files: what the simulators start with.

A scenario is a YAML (or JSON) mapping with up to six keys, all optional::

    zendesk:   {users: [...], tickets: [...], oauth_clients: [...]}   # Zendesk seed
    cronofy:   {accounts: [...]}                                      # Cronofy seed
    google:    {users: [{email: ..., calendars: [...]}]}              # Google users
    microsoft: {users: [{email: ..., displayName: ..., calendars: [...]}]}  # Graph users
    faults:    {zendesk: {latency_ms: 50}, cronofy: {error_rate: 0.1}}
    settings:  {zendesk: {subdomain: acme}, cronofy: {requests_per_minute: 500}}

``zendesk`` and ``cronofy`` are the bodies each simulator's ``POST /_sandbox/seed``
accepts (docs/sandbox-zendesk.md, docs/sandbox-cronofy.md), ``google`` and ``microsoft``
the bodies of the Google and Microsoft simulators' ``POST /_sandbox/users`` (used only when
the runner starts that simulator, see :class:`zdcal.sandbox.runner.Sandbox`); ``faults``
are the knobs of :class:`zdcal.sandbox.faults.Faults`; ``settings`` override fields of the
simulators' config dataclasses. A missing seed means the simulator's documented default seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SIMULATORS = ("zendesk", "cronofy", "google", "microsoft")


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with a message saying why."""


@dataclass
class Scenario:
    """The parsed contents of a scenario file."""

    seeds: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Validate the top-level shape of a scenario mapping."""
    if data is None:
        return Scenario()
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level")
    unknown = set(data) - {*SIMULATORS, "faults", "settings"}
    if unknown:
        raise ScenarioError(f"{source}: unknown keys {sorted(unknown)}")
    scenario = Scenario()
    for name in SIMULATORS:
        seed = data.get(name)
        if seed is not None and not isinstance(seed, dict):
            raise ScenarioError(f"{source}: '{name}' must be a mapping")
        scenario.seeds[name] = seed
    for key in ("faults", "settings"):
        section = data.get(key) or {}
        if not isinstance(section, dict) or set(section) - set(SIMULATORS):
            raise ScenarioError(
                f"{source}: '{key}' takes 'zendesk', 'cronofy', 'google' and/or "
                "'microsoft' mappings"
            )
        for name, values in section.items():
            if not isinstance(values, dict):
                raise ScenarioError(f"{source}: '{key}.{name}' must be a mapping")
            getattr(scenario, key)[name] = values
    return scenario


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path} is not valid YAML/JSON: {exc}") from exc
    return parse_scenario(data, str(path))
