"""Locks one transaction holds across every process of a cluster (PostgreSQL's
transaction-level advisory locks): for work that only one process may do at a time and
that any process may skip while another does it."""

from __future__ import annotations

from sqlalchemy import text

from zdcal.store.repository import Repository


class ClusterLocks(Repository):
    """Advisory locks held until the caller's transaction ends (PostgreSQL only)."""

    async def try_hold(self, key: int) -> bool:
        """Hold ``key`` until the transaction ends, unless another transaction holds it
        now: True if held."""
        held = await self._session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}
        )
        return bool(held)
