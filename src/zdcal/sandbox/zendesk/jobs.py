"""Background jobs (job_status): the sandbox does the work at once and remembers the ids."""

from __future__ import annotations

import secrets


class JobBook:
    """Ids of the jobs the account ran; every one of them has completed."""

    def __init__(self) -> None:
        self.done: dict[str, str] = {}

    def clear(self) -> None:
        """Forget every job (sandbox reset)."""
        self.done.clear()

    def finished(self, description: str) -> str:
        """Record a job whose work was already done; returns its id (``V3-`` + hex, the
        recorded shape)."""
        job_id = f"V3-{secrets.token_hex(16)}"
        self.done[job_id] = description
        return job_id
