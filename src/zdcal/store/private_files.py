"""What zdcal writes to disk is its user's alone: directories 0700, files 0600.

The database holds ticket subjects, agents' names and emails. SQLite would create it with
0644 (less the umask), and gives its ``-wal`` and ``-shm`` files the database file's own
mode, so creating the database file 0600 before SQLite opens it covers all three.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> Path:
    """Create ``path`` (with its parents) when missing, itself mode 0700.

    A directory that already exists is left as its owner made it: it may be shared on
    purpose (the files zdcal puts in it are private either way).
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY_MODE)
    return path


def private_database_file(path: Path) -> None:
    """Make sure the SQLite file at ``path`` exists with mode 0600 before SQLite opens it.

    A database (or WAL, SHM, journal) left readable by others, as older versions did, is
    made private when this user owns it.
    """
    private_directory(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    if os.name != "posix":
        return
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SQLITE_COMPANIONS)):
        try:
            status = file.stat()
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077 and status.st_uid == os.getuid():
            file.chmod(mode & ~0o077)
