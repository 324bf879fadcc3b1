"""The domain is the product's rules alone: its modules import the standard library and
each other, nothing else (no database, no HTTP, no web framework, no other zdcal layer)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import zdcal.domain

DOMAIN = Path(zdcal.domain.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the package
                continue
            names.add(node.module or "")
    return names


def _allowed(name: str) -> bool:
    top = name.partition(".")[0]
    return top in sys.stdlib_module_names or name == "zdcal.domain" or name.startswith(
        "zdcal.domain."
    )


def test_domain_modules_import_only_the_standard_library_and_the_domain() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) > 5  # the walk found the package
    outside = {
        f"{path.relative_to(DOMAIN)}: {name}"
        for path in modules
        for name in _imports(path)
        if not _allowed(name)
    }
    assert not outside


def test_the_check_sees_an_import_from_outside(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom zdcal.store import Store\nfrom sqlalchemy import select\n")
    assert {name for name in _imports(module) if not _allowed(name)} == {
        "zdcal.store", "sqlalchemy"
    }
