"""What zdcal writes to disk is private: a fresh data directory is 0700, and the SQLite
database, its WAL and shared-memory files and the key file are 0600 (a real ``zdcal``
process, with the common umask 022)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from zdcal_testing import free_port, wait_until_ready


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def zdcal_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without ZDCAL_* (no .env either: cwd is the temp dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    return {**env, "ZDCAL_DATA_DIR": str(data_dir)}


def test_serve_on_a_fresh_data_directory_keeps_everything_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "state" / "zdcal"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "zdcal.cli", "serve", "--port", str(port)],
        env=zdcal_environment(data_dir), cwd=tmp_path, umask=0o022,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", server)
        # While serving, SQLite keeps its write-ahead log and shared-memory index open.
        files = {name: data_dir / name
                 for name in ("zdcal.db", "zdcal.db-wal", "zdcal.db-shm", "secret.key")}
        modes = {name: oct(mode(path)) for name, path in files.items() if path.exists()}
        assert set(modes) == set(files), f"missing: {set(files) - set(modes)}"
        assert modes == dict.fromkeys(files, oct(0o600))
        assert oct(mode(data_dir)) == oct(0o700)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)


def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "zdcal.cli", "db", "upgrade"]
    env = zdcal_environment(data_dir)
    subprocess.run(command, env=env, cwd=tmp_path, umask=0o022, check=True,
                   capture_output=True)
    database = data_dir / "zdcal.db"
    database.chmod(0o644)  # as older zdcal versions left it

    subprocess.run(command, env=env, cwd=tmp_path, umask=0o022, check=True,
                   capture_output=True)

    assert oct(mode(database)) == oct(0o600)


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_setting_up_a_fresh_data_directory_creates_it_private(
    tmp_path: Path, umask: int
) -> None:
    # 'db upgrade' sets up; reading commands create nothing (test_cli_finds_its_data.py).
    data_dir = tmp_path / "fresh"
    done = subprocess.run(
        [sys.executable, "-m", "zdcal.cli", "db", "upgrade"],
        env=zdcal_environment(data_dir), cwd=tmp_path, umask=umask, capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert oct(mode(data_dir)) == oct(0o700)
    assert oct(mode(data_dir / "zdcal.db")) == oct(0o600)
    assert oct(mode(data_dir / "secret.key")) == oct(0o600)
