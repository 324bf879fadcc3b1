"""What this process uses: CPU seconds and resident memory, read from the kernel."""

from __future__ import annotations

import resource
import time
from pathlib import Path

STATUS_FILE = Path("/proc/self/status")


def cpu_seconds() -> float:
    """User plus system CPU time of this process (all threads)."""
    return time.process_time()


def rss_mb() -> float:
    """Resident set size now, in MiB (``VmRSS``; falls back to the peak where /proc lacks)."""
    try:
        for line in STATUS_FILE.read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """The largest resident set size this process has had, in MiB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
