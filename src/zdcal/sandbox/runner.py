"""Run the simulators on loopback, seeded from a scenario (``zdcal sandbox``, tests, demo).

Zendesk and Cronofy always; Google Calendar when asked (``Sandbox.create(google=True)``):
its API at ``<google.base_url>/calendar/v3/``, consent page at ``/o/oauth2/v2/auth`` (open
it in a browser: account choice and scopes), token endpoint ``/token``, control API under
``/_sandbox`` (docs/sandbox.md). A scenario's ``google`` key lists its users, and
``faults.google`` / ``settings.google`` set its knobs and config fields.

Microsoft Graph likewise when asked (``Sandbox.create(microsoft=True)``): Graph at
``<microsoft.base_url>/v1.0``, the identity platform at ``/{tenant}/oauth2/v2.0/authorize`` and
``/token``, control API under ``/_sandbox``; the scenario's ``microsoft`` key lists its users,
``faults.microsoft`` / ``settings.microsoft`` its knobs and config fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from zdcal.sandbox.background import Background
from zdcal.sandbox.cronofy import CronofySimConfig
from zdcal.sandbox.cronofy import create_app as create_cronofy_app
from zdcal.sandbox.faults import Faults
from zdcal.sandbox.google import GoogleSimConfig
from zdcal.sandbox.google import create_app as create_google_app
from zdcal.sandbox.microsoft import MicrosoftSimConfig
from zdcal.sandbox.microsoft import create_app as create_microsoft_app
from zdcal.sandbox.scenario import Scenario, ScenarioError
from zdcal.sandbox.server import ServerThread
from zdcal.sandbox.zendesk import ZendeskSimConfig
from zdcal.sandbox.zendesk import create_app as create_zendesk_app

C = TypeVar("C")


def _config(config_type: type[C], name: str, scenario: Scenario) -> C:
    """The simulator's config dataclass from the scenario's ``faults.<name>``,
    ``settings.<name>`` and seed section; anything refused is a ScenarioError naming it."""
    cls: Any = config_type  # a dataclass with ``faults`` and ``seed`` fields
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
        config: C = cls(faults=faults, seed=scenario.seeds.get(name), **overrides)
    except ValueError as exc:  # a setting the simulator refuses (an unknown mode or zone)
        raise ScenarioError(f"settings.{name}: {exc}") from exc
    return config


def zendesk_config(scenario: Scenario) -> ZendeskSimConfig:
    return _config(ZendeskSimConfig, "zendesk", scenario)


def cronofy_config(scenario: Scenario) -> CronofySimConfig:
    return _config(CronofySimConfig, "cronofy", scenario)


def google_config(scenario: Scenario) -> GoogleSimConfig:
    return _config(GoogleSimConfig, "google", scenario)


def microsoft_config(scenario: Scenario) -> MicrosoftSimConfig:
    return _config(MicrosoftSimConfig, "microsoft", scenario)


@dataclass
class Sandbox(Background):
    """The simulators served over HTTP on loopback. Use as a context manager."""

    zendesk: ServerThread
    cronofy: ServerThread
    zendesk_config: ZendeskSimConfig
    cronofy_config: CronofySimConfig
    google: ServerThread | None = None
    google_config: GoogleSimConfig | None = None
    microsoft: ServerThread | None = None
    microsoft_config: MicrosoftSimConfig | None = None

    @classmethod
    def create(
        cls, scenario: Scenario | None = None, *, zendesk_port: int = 0, cronofy_port: int = 0,
        google: bool = False, google_port: int = 0,
        microsoft: bool = False, microsoft_port: int = 0,
    ) -> Sandbox:
        scenario = scenario or Scenario()
        zd, cr = zendesk_config(scenario), cronofy_config(scenario)
        go = google_config(scenario) if google else None
        ms = microsoft_config(scenario) if microsoft else None
        return cls(
            ServerThread(create_zendesk_app(zd), port=zendesk_port),
            ServerThread(create_cronofy_app(cr), port=cronofy_port),
            zd,
            cr,
            ServerThread(create_google_app(go), port=google_port) if go else None,
            go,
            ServerThread(create_microsoft_app(ms), port=microsoft_port) if ms else None,
            ms,
        )

    def google_settings(self) -> dict[str, Any]:
        """zdcal's ``google_*`` settings that point it at this simulated Google (none when
        it was not started)."""
        if self.google is None or self.google_config is None:
            return {}
        base = self.google.base_url
        return {
            "google_client_id": self.google_config.client_id,
            "google_client_secret": self.google_config.client_secret,
            "google_api_url": base,
            "google_oauth_url": base,
            "google_token_url": f"{base}/token",
            "google_revoke_url": f"{base}/revoke",
        }

    def microsoft_settings(self) -> dict[str, Any]:
        """zdcal's ``microsoft_*`` settings that point it at this simulated Microsoft 365
        (its identity platform and Graph on one host; none when it was not started)."""
        if self.microsoft is None or self.microsoft_config is None:
            return {}
        base = self.microsoft.base_url
        return {
            "microsoft_client_id": self.microsoft_config.client_id,
            "microsoft_client_secret": self.microsoft_config.client_secret,
            "microsoft_tenant": "common",
            "microsoft_login_url": base,
            "microsoft_graph_url": base,
        }

    def calendar_settings(self) -> dict[str, Any]:
        """The settings for every direct calendar simulator that was started."""
        return {**self.google_settings(), **self.microsoft_settings()}

    def _servers(self) -> list[ServerThread]:
        servers = (self.zendesk, self.cronofy, self.google, self.microsoft)
        return [s for s in servers if s is not None]

    def start(self) -> Self:
        started: list[ServerThread] = []
        try:
            for server in self._servers():
                server.start()
                started.append(server)
        except BaseException:
            for server in reversed(started):
                server.stop()
            raise
        return self

    def stop(self) -> None:
        for server in reversed(self._servers()):
            server.stop()
