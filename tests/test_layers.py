"""zdcal's packages form layers: each imports only from the layers below it, so the house
stays acyclic and a newcomer can read it from the ground up (docs/architecture.md,
"Layers"). The domain's own rule (standard library only) is in tests/domain/test_imports.py,
the calendar boundary's in tests/test_calendar_boundary.py."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import zdcal
from zdcal_testing import imported_names, within

SRC = Path(zdcal.__file__).parent

LAYERS: list[set[str]] = [
    {"__version__", "clock", "closing", "settings", "webhook_urls"},
    {"domain"},
    {"http"},
    {"store"},
    {"zendesk", "calendars", "mail"},
    {"sync"},
    {"runtime"},
    {"live"},
    {"jobs"},
    {"usecases"},
    {"web"},
    {"cli"},
]
"""Bottom to top. Packages in one layer do not import each other."""

SIDE = {"sandbox": {"__version__", "clock"}}
"""The simulators stand beside the product: they know only its ground floor."""

CLI_FROM_WEB = {"zdcal.web.app", "zdcal.web.http_server"}
"""The CLI takes from the web only the application it serves and the server serving it."""


def _package(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _allowed(package: str) -> set[str]:
    if package in SIDE:
        return SIDE[package]
    below: set[str] = set()
    for layer in LAYERS:
        if package in layer:
            return below | ({"sandbox"} if package == "cli" else set())
        below |= layer
    raise AssertionError(f"zdcal.{package} is in no layer: add it to LAYERS")


@functools.cache
def _imports() -> list[tuple[str, str]]:
    """(module path, imported zdcal name) for every import of another zdcal package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent == SRC and path.name == "__init__.py":
            continue
        for name in imported_names(path):
            if within(name, "zdcal") and name.split(".")[1] != _package(path):
                found.append((path.relative_to(SRC).as_posix(), name))
    return found


def test_the_walk_sees_the_house() -> None:
    packages = {_package(p) for p in SRC.rglob("*.py") if p.parent != SRC or p.stem != "__init__"}
    assert {"domain", "store", "sync", "usecases", "web", "cli", "calendars"} <= packages
    assert len(_imports()) > 100


def test_each_package_imports_only_from_the_layers_below() -> None:
    upward = [
        f"{where} imports {name}"
        for where, name in _imports()
        if name.split(".")[1] not in _allowed(_package(SRC / where))
    ]
    assert not upward


def test_the_cli_takes_from_the_web_only_the_app_it_serves() -> None:
    taken = {
        f"{where}: {name}"
        for where, name in _imports()
        if where.startswith("cli/") and within(name, "zdcal.web")
        and not any(within(name, allowed) for allowed in CLI_FROM_WEB)
    }
    assert not taken


@pytest.mark.parametrize(
    ("package", "imported", "allowed"),
    [("domain", "store", False), ("store", "sync", False), ("sync", "usecases", False),
     ("usecases", "web", False), ("web", "cli", False), ("sandbox", "store", False),
     ("web", "usecases", True), ("cli", "sandbox", True), ("calendars", "store", True)],
)
def test_the_layer_map_says_what_it_means(package: str, imported: str, allowed: bool) -> None:
    assert (imported in _allowed(package)) is allowed
