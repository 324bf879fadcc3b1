"""Cronofy is one calendar backend behind ``zdcal.calendars``: nothing outside
``src/zdcal/calendars/`` should import ``zdcal.calendars.cronofy``, so that another
backend can be added without touching the rest.

That is not yet so. The modules below still import it; sealing the boundary removes them
from the list, and the strict xfail turns into a failure the day the list is empty, to be
replaced by a plain test. Meanwhile no other module may start importing Cronofy."""

from __future__ import annotations

from pathlib import Path

import pytest

import zdcal
from zdcal_testing import imported_names, within

SRC = Path(zdcal.__file__).parent
CRONOFY = "zdcal.calendars.cronofy"

STILL_IMPORTING_CRONOFY = {
    "cli/agents.py",
    "cli/base.py",
    "runtime.py",
    "sync/agents.py",
    "sync/connector.py",
    "sync/token_refresh.py",
    "web/cronofy_push.py",
    "web/pages/agent.py",
    "web/pages/calendar_connect.py",
}


def _importers_of_cronofy() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if where.startswith("calendars/"):
            continue
        if any(within(name, CRONOFY) for name in imported_names(path)):
            found.add(where)
    return found


def test_no_new_module_imports_cronofy() -> None:
    assert _importers_of_cronofy() <= STILL_IMPORTING_CRONOFY


@pytest.mark.xfail(
    strict=True, reason=f"not yet sealed: {', '.join(sorted(STILL_IMPORTING_CRONOFY))}"
)
def test_nothing_outside_the_calendars_package_imports_cronofy() -> None:
    assert _importers_of_cronofy() == set()
