"""What runs in the background for tests, benchmarks and the demo (the sandbox's HTTP
servers and mail sink, the simulators, a served zdcal): started on entering a ``with``
block and stopped on leaving it."""

from __future__ import annotations

import socket
import subprocess
from types import TracebackType
from typing import Self


class Background:
    """``start`` answers the started object; ``stop`` lets it go, however the block ends."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop_child(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM a child process if it still runs, then wait (SIGKILL after ``timeout``)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
