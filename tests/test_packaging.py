"""Building and installing zdcal is quiet: no deprecation warning of ours, and dev.py shows
pip's output only when pip fails (then all of it)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_builds_without_a_warning_and_declares_its_spdx_license(
    tmp_path: Path,
) -> None:
    # -v shows the build backend's own output, where setuptools prints its warnings.
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )

    assert built.returncode == 0, built.stderr[-3000:]
    output = built.stdout + built.stderr
    assert "BuildBackendWarning" not in output
    assert "project.license" not in output
    (wheel,) = tmp_path.glob("zdcal-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        assert "License-Expression: Apache-2.0" in archive.read(metadata).decode()


@pytest.mark.slow
def test_dev_py_shows_pips_output_when_the_install_fails(tmp_path: Path) -> None:
    shutil.copy(ROOT / "dev.py", tmp_path / "dev.py")
    broken = (ROOT / "pyproject.toml").read_text().replace(
        'dependencies = [', 'dependencies = [\n    "httpx>=>0.28",', 1
    )
    (tmp_path / "pyproject.toml").write_text(broken)

    finished = subprocess.run([sys.executable, "dev.py", "setup"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=900)

    assert finished.returncode == 1
    assert finished.stdout.startswith("dev.py: creating .venv\n")
    assert "httpx>=>0.28" in finished.stderr  # pip's own account of what is wrong
    assert finished.stderr.rstrip().endswith(
        f"dev.py: pip install -e {tmp_path}[dev] failed (exit status 1)"
    )


def _dev_py_beside_a_prepared_venv(folder: Path) -> None:
    """dev.py and pyproject.toml in ``folder`` with a .venv dev.py takes as installed: its
    python is this one, ruff and mypy pass; one test file says which worker ran it."""
    shutil.copy(ROOT / "dev.py", folder / "dev.py")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    bin_folder = folder / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    for name, script in (("python", f'exec {sys.executable} "$@"'), ("ruff", "true"),
                         ("mypy", "true")):
        (bin_folder / name).write_text(f"#!/bin/sh\n{script}\n")
        (bin_folder / name).chmod(0o755)
    stamp = hashlib.sha256((folder / "pyproject.toml").read_bytes()).hexdigest()
    (folder / ".venv" / ".zdcal-installed").write_text(stamp)
    (folder / "tests").mkdir()
    (folder / "tests" / "test_worker.py").write_text(
        "import os\n\n"
        "def test_worker():\n"
        "    print('worker:', os.environ.get('PYTEST_XDIST_WORKER', 'none'))\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "workers"),
    [([], "3"), (["-n", "0"], None), (["-p", "no:xdist"], None)],
)
def test_dev_py_test_runs_pytest_on_xdist_workers_unless_told_otherwise(
    tmp_path: Path, arguments: list[str], workers: str | None
) -> None:
    _dev_py_beside_a_prepared_venv(tmp_path)
    # Not this run's options nor, when it runs on a worker itself, its xdist worker's id.
    environment = {k: v for k, v in os.environ.items()
                   if k != "PYTEST_ADDOPTS" and not k.startswith("PYTEST_XDIST_")}

    finished = subprocess.run(
        [sys.executable, "dev.py", "test", "-rA", *arguments], cwd=tmp_path,
        capture_output=True, text=True, timeout=120, env=environment,
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "1 passed" in finished.stdout
    if workers is None:
        assert "worker: none" in finished.stdout
    else:
        assert f"created: {workers}/{workers} workers" in finished.stdout
        assert "worker: gw" in finished.stdout  # whichever worker took it
