"""Cronofy is one calendar backend behind ``zdcal.calendars``: nothing outside
``src/zdcal/calendars/`` imports ``zdcal.calendars.cronofy``, so that another backend
can be added without touching the rest (they know ``zdcal.calendars.base`` and the
registry only)."""

from __future__ import annotations

from pathlib import Path

import zdcal
from zdcal_testing import imported_names, within

SRC = Path(zdcal.__file__).parent
CRONOFY = "zdcal.calendars.cronofy"

def _importers_of_cronofy() -> set[str]:
    return _importers_of(CRONOFY)


def _importers_of(package: str) -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("calendars/"):
            continue
        if any(within(name, package) for name in imported_names(path)):
            found.add(where)
    return found


def test_nothing_outside_the_calendars_package_imports_cronofy() -> None:
    assert _importers_of_cronofy() == set()


def test_nothing_outside_the_calendars_package_imports_caldav() -> None:
    assert _importers_of("zdcal.calendars.caldav") == set()


def test_nothing_outside_the_calendars_package_imports_google() -> None:
    assert _importers_of("zdcal.calendars.google") == set()
