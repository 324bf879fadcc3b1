"""A bare ``zdcal serve`` in its own process (no account, no simulator): what an
anonymous client on the internet reaches, with its resident memory readable from /proc.
The process itself is the live benchmarks' :class:`ZdcalServeProcess`
(``bench/zdcal_serve.py``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

from simulators import free_port
from zdcal.settings import Settings
from zdcal.store import generate_key
from zdcal_serve import ZdcalServeProcess


def served_process(data_dir: Path, **settings: Any) -> ZdcalServeProcess:
    """``zdcal serve --no-workers`` on a free loopback port with these settings."""
    config = Settings(data_dir=data_dir, secret_key=generate_key(), **settings)
    return ZdcalServeProcess(config, data_dir, free_port(), workers=False)


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a process from /proc (``VmRSS`` now, ``VmHWM`` its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def reset_peak_memory(pid: int) -> None:
    """Make ``VmHWM`` start again from the current RSS (Linux ``clear_refs`` value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5", encoding="ascii")


__all__ = ["ZdcalServeProcess", "memory_kib", "reset_peak_memory", "served_process"]
