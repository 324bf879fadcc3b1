"""The use-cases sit below the adapters: web and cli call them, never the reverse."""

from __future__ import annotations

from pathlib import Path

import zdcal.usecases
from zdcal_testing import imported_names, within

USECASES = Path(zdcal.usecases.__file__).parent
ADAPTERS = ("zdcal.web", "zdcal.cli")


def test_use_cases_import_neither_the_web_nor_the_cli() -> None:
    modules = sorted(USECASES.rglob("*.py"))
    assert len(modules) >= 4  # the walk found the package
    upward = {
        f"{path.relative_to(USECASES)}: {name}"
        for path in modules
        for name in imported_names(path)
        if any(within(name, adapter) for adapter in ADAPTERS)
    }
    assert not upward

