"""The calendar backends this zdcal knows, built from the settings by name.

Adding a backend is adding its folder under ``zdcal.calendars`` and one line to
:data:`BACKENDS`; each agent's ``calendar_backend`` names the one that serves it.
A backend's module is imported only when it is first built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zdcal.calendars.base import (
    AgentCalendar,
    CalendarBackend,
    Capabilities,
    Connection,
    PushChannel,
    TokenCoordinator,
    push_channels,
)
from zdcal.store import Agent
from zdcal.store.tables import DEFAULT_CALENDAR_BACKEND

if TYPE_CHECKING:
    import httpx

    from zdcal.clock import Clock
    from zdcal.http.budgets import Budgets, RateBudget
    from zdcal.settings import Settings

BACKENDS: dict[str, str] = {
    "cronofy": "zdcal.calendars.cronofy.kind:CRONOFY",
    "caldav": "zdcal.calendars.caldav.kind:CALDAV",
    "google": "zdcal.calendars.google.kind:GOOGLE",
    "microsoft": "zdcal.calendars.microsoft.kind:MICROSOFT",
}
"""Each backend's name and where its :class:`BackendKind` lives ("module:attribute")."""

DEFAULT_BACKEND = DEFAULT_CALENDAR_BACKEND
"""The backend new agents connect with."""


@dataclass(frozen=True)
class BackendWiring:
    """What a backend is built with: one set per process (or per CLI command)."""

    settings: Settings
    http: httpx.AsyncClient
    """The backend's own pool (its requests are counted under its name)."""
    limiter: RateBudget
    """The backend's application-wide budget, shared by the cluster."""
    budgets: Budgets
    """Where narrower budgets come from (per user, per mailbox)."""
    clock: Clock
    coordinate_refresh: Callable[[int], TokenCoordinator] | None
    """The token-refresh coordinator of an agent (by ``agents.id``)."""


class BackendKind(Protocol):
    name: str
    connection: Connection
    """How its agents connect (the pages offer a button or a form accordingly)."""

    def configured(self, settings: Settings) -> bool:
        """Whether the operator set it up (e.g. registered an OAuth client), so agents
        may be offered it."""
        ...

    def application_budget(self, budgets: Budgets, settings: Settings) -> RateBudget:
        """The budget of the service's per-application limits (as the settings set them,
        where they can), in ``budgets``."""
        ...

    def build(self, wiring: BackendWiring) -> CalendarBackend: ...


class UnknownCalendarBackend(LookupError):
    pass


def names() -> list[str]:
    return sorted(BACKENDS)


def offered(settings: Settings, connection: Connection) -> list[str]:
    """The backends agents may connect with ``connection``, the default first."""
    found = [
        n for n in BACKENDS if kind(n).connection is connection and kind(n).configured(settings)
    ]
    return sorted(found, key=lambda n: (n != DEFAULT_BACKEND, n))


def kind(name: str) -> BackendKind:
    """The registered backend called ``name``."""
    try:
        module, attribute = BACKENDS[name].split(":")
    except KeyError:
        raise UnknownCalendarBackend(f"no calendar backend {name!r}") from None
    found: BackendKind = getattr(importlib.import_module(module), attribute)
    return found


class CalendarBackends:
    """Every registered backend on this process's pools, built when first used; serves
    each agent with the backend the agent records (the engine's ``CalendarConnector``)."""

    def __init__(self, build: Callable[[str], CalendarBackend]) -> None:
        self._build = build
        self._built: dict[str, CalendarBackend] = {}

    def backend(self, name: str) -> CalendarBackend:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def of(self, agent: Agent) -> CalendarBackend:
        """The backend that serves ``agent``."""
        return self.backend(agent.calendar_backend)

    def for_agent(self, agent: Agent) -> AgentCalendar:
        return self.of(agent).for_agent(agent)

    def capabilities(self, agent: Agent) -> Capabilities:
        return self.of(agent).capabilities

    async def revoke(self, agent: Agent) -> None:
        await self.of(agent).revoke(agent)

    async def ensure_channel(self, agent: Agent, callback_url: str) -> PushChannel | None:
        channels = push_channels(self.of(agent))
        return None if channels is None else await channels.ensure_channel(agent, callback_url)

    async def close_channel(self, agent: Agent, callback_url: str) -> None:
        channels = push_channels(self.of(agent))
        if channels is not None:
            await channels.close_channel(agent, callback_url)


def backends(
    settings: Settings,
    http: Mapping[str, httpx.AsyncClient],
    limiter: Callable[[str], RateBudget],
    budgets: Budgets,
    clock: Clock,
    coordinate_refresh: Callable[[int], TokenCoordinator] | None,
) -> CalendarBackends:
    """Every backend, wired one way: ``http`` and ``limiter`` by backend name."""
    return CalendarBackends(
        lambda name: kind(name).build(
            BackendWiring(settings, http[name], limiter(name), budgets, clock,
                          coordinate_refresh)
        )
    )
