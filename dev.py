#!/usr/bin/env python3
"""Set up a virtual environment and run zdcal or its test suite.

    python3 dev.py run     # the sandbox demo: SQLite, simulated Zendesk and Cronofy
    python3 dev.py test    # ruff, mypy and the whole pytest suite

Needs nothing but python3 (3.11 or newer). The environment lives in .venv and is
rebuilt when pyproject.toml changes. Extra arguments are passed on: to `zdcal` for
`run`, to pytest for `test`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".zdcal-installed"
WORKERS = "3"  # pytest-xdist workers for `test`; chosen by timing the suite on 2 cores


def _ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("zdcal needs Python 3.11 or newer; this is " + sys.version.split()[0])
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print("dev.py: installing zdcal and its development tools into .venv (a minute or two)",
          flush=True)
    _pip("install", "--upgrade", "pip")
    _pip("install", "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


def _pip(*args: str) -> None:
    """Run pip quietly: its output (warnings, build logs) is shown only if it fails."""
    command = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        sys.exit(f"dev.py: pip {' '.join(args)} failed (exit status {done.returncode})")


def _lint_paths() -> list[str]:
    return [p for p in ("src", "tests", "bench", "dev.py") if (ROOT / p).exists()]


def _run(argv: list[str]) -> int:
    print("$ " + " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=ROOT).returncode


def _become(argv: list[str]) -> int:
    """Replace this process with the command, so signals (Ctrl+C, SIGTERM) reach it."""
    print("$ " + " ".join(argv), flush=True)
    os.chdir(ROOT)
    os.execv(argv[0], argv)
    return 1  # not reached


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    _ensure_venv()
    if command == "setup":
        return 0
    if command == "run":
        return _become([str(BIN / "zdcal"), *(rest or ["demo"])])
    for step in (
        [str(BIN / "ruff"), "check", *_lint_paths()],
        [str(BIN / "mypy")],
    ):
        if code := _run(step):
            return code
    return _become([str(BIN / "python"), "-m", "pytest", *_parallel(rest), *rest])


def _parallel(rest: list[str]) -> list[str]:
    """pytest-xdist's options for the suite, unless the arguments choose otherwise.

    The tests mostly wait on subprocesses, servers and a browser, so more workers than
    cores still pays; whole files go to one worker, so a module's servers and browser
    start once. ``-n 0`` (a later ``-n`` wins) or ``-p no:xdist`` runs serially."""
    given = rest + os.environ.get("PYTEST_ADDOPTS", "").split()
    if any(arg.endswith("no:xdist") for arg in given):
        return []
    return ["-n", WORKERS, "--dist", "loadfile"]


if __name__ == "__main__":
    sys.exit(main())
