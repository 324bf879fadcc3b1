"""A bare ``zdcal serve`` in its own process (no account, no simulator): what an
anonymous client on the internet reaches, with its resident memory readable from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from zdcal.store import generate_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServedProcess:
    """``python -m zdcal.cli serve`` on a free loopback port, stopped on exit.

    ``settings`` are extra ``ZDCAL_*`` variables (names without the prefix).
    """

    def __init__(self, data_dir: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ZDCAL_DATA_DIR": str(data_dir),
            "ZDCAL_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}",
            "ZDCAL_SECRET_KEY": generate_key(),
            "ZDCAL_PUBLIC_URL": self.url,
            "ZDCAL_LOG_LEVEL": "WARNING",
            **{f"ZDCAL_{name.upper()}": value for name, value in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: a full pipe would block the server mid-test.
        self.log_path = data_dir / "serve.log"

    def __enter__(self) -> ServedProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "zdcal.cli", "serve", "--port", str(self.port),
                 "--no-workers"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=log,
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"zdcal serve did not start: {self.log()}")
            time.sleep(0.1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        """What the process wrote to stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def memory_kib(self, field: str = "VmRSS") -> int:
        """A memory figure of the server process from /proc (``VmRSS`` now, ``VmHWM`` peak)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise LookupError(field)

    def reset_peak_memory(self) -> None:
        """Make ``VmHWM`` start again from the current RSS (Linux ``clear_refs`` value 5)."""
        assert self.process is not None
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5", encoding="ascii")
