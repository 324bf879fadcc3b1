"""Who a process is, precisely enough for another process to tell that it is gone.

A process is named by the machine view its pid belongs to (the kernel's boot id plus the
pid namespace: two containers on one kernel may both run a pid 7), its pid, and its start
time (a pid is reused once its process is gone; the start time tells the two apart).
Another process in the same view reads ``/proc/<pid>/stat`` to know whether that process
still runs. Outside that view, or without ``/proc`` (not Linux), nothing can be told, and
callers must treat the process as alive.

Sources: proc(5) (``/proc/[pid]/stat`` field 22 ``starttime``, in clock ticks since
boot; state ``Z`` zombie, ``X`` dead), random(4) (``/proc/sys/kernel/random/boot_id``),
namespaces(7) (``/proc/[pid]/ns/pid`` names the namespace by device and inode, unique
among the namespaces that exist at a time).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_GONE_STATES = frozenset("ZXx")  # zombie or dead: it will never work again


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as another process on the same machine can recognise it."""

    view: str  # boot id + pid namespace: where ``pid`` means this process
    pid: int
    started: int  # clock ticks after boot


@functools.cache
def this_view() -> str | None:
    """The boot id and pid namespace of this process, or None where /proc cannot tell."""
    try:
        boot_id = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink(PROC / "self/ns/pid")  # e.g. "pid:[4026531836]"
    except OSError:
        return None
    return f"{boot_id}/{namespace}"


def identity_of(pid: int) -> ProcessIdentity | None:
    """The identity of a running process of this view; None if it is gone or unknowable."""
    view, stat = this_view(), _stat(pid)
    if view is None or stat is None or stat[0] in _GONE_STATES:
        return None
    return ProcessIdentity(view, pid, stat[1])


@functools.cache
def this_process() -> ProcessIdentity | None:
    """This process's identity (None where /proc cannot tell)."""
    return identity_of(os.getpid())


def is_gone(process: ProcessIdentity) -> bool:
    """True only when certain: ``process`` belongs to this view and no longer runs (its pid
    is free, a zombie's, or another, later process's)."""
    if process.view != this_view():
        return False
    try:
        os.kill(process.pid, 0)  # signal 0 only asks whether the pid exists
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, run by another user: /proc may still tell (or hide) more
    stat = _stat(process.pid)
    if stat is None:
        return False  # hidden from us (hidepid), so unknowable
    state, started = stat
    return state in _GONE_STATES or started != process.started


def _stat(pid: int) -> tuple[str, int] | None:
    """State (field 3) and start time (field 22) from /proc/<pid>/stat, if readable."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # Field 2, the command name, is in parentheses and may itself hold spaces and ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[19])  # fields[0] is field 3, so field 22 is fields[19]
