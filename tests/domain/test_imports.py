"""The domain is the product's rules alone: its modules import the standard library and
each other, nothing else (no database, no HTTP, no web framework, no other zdcal layer)."""

from __future__ import annotations

import sys
from pathlib import Path

import zdcal.domain
from zdcal_testing import imported_names, within

DOMAIN = Path(zdcal.domain.__file__).parent


def _allowed(name: str) -> bool:
    return name.partition(".")[0] in sys.stdlib_module_names or within(name, "zdcal.domain")


def test_domain_modules_import_only_the_standard_library_and_the_domain() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 5  # the walk found the package
    outside = {
        f"{path.relative_to(DOMAIN)}: {name}"
        for path in modules
        for name in imported_names(path)
        if not _allowed(name)
    }
    assert not outside


def test_the_check_sees_an_import_from_outside(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nfrom datetime import UTC\nfrom zdcal.domain.errors import DomainError\n"
        "from zdcal import store\n\ndef f():\n    from sqlalchemy import select\n"
    )
    assert {name for name in imported_names(module) if not _allowed(name)} == {
        "zdcal.store", "sqlalchemy.select"
    }
