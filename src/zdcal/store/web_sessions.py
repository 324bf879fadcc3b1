"""Sessions of the web pages, kept on the server so that they can be ended.

The browser holds a random session id (inside zdcal's encrypted cookie); the table holds
its SHA-256, who it signs in and the role Zendesk last confirmed. Expired rows are
deleted whenever a session starts, so the table holds live sessions only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from zdcal.store.repository import Repository
from zdcal.store.statements import execute_write
from zdcal.store.tables import AgentRow, WebSessionRow

SESSION_ID_BYTES = 32


def session_id_hash(session_id: str) -> str:
    """What the table stores of a session id (a 256-bit random id needs no salt)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A live session: the account, the agent (zdcal's row and Zendesk's user) and role."""

    account_id: int
    agent_row_id: int  # agents.id
    zendesk_user_id: int
    name: str
    role: str
    role_checked_at: datetime
    expires_at: datetime


class WebSessions(Repository):
    """Reads and writes ``web_sessions``. Does not commit: the caller owns the transaction."""

    async def start(
        self, account_id: int, zendesk_user_id: int, role: str, lifetime: timedelta
    ) -> str:
        """Start a session whose role Zendesk confirmed just now; returns its id."""
        now = self._clock.now()
        await self._session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        self._session.add(WebSessionRow(
            id_hash=session_id_hash(session_id), account_id=account_id,
            agent_id=zendesk_user_id, role=role, role_checked_at=now, created_at=now,
            expires_at=now + lifetime,
        ))
        await self._session.flush()
        return session_id

    async def find(self, session_id: str) -> WebSession | None:
        """The live session with this id; ``None`` when unknown, ended or expired."""
        row = (await self._session.execute(
            select(WebSessionRow, AgentRow.id, AgentRow.name)
            .join(AgentRow, (AgentRow.account_id == WebSessionRow.account_id)
                  & (AgentRow.zendesk_user_id == WebSessionRow.agent_id))
            .where(WebSessionRow.id_hash == session_id_hash(session_id),
                   WebSessionRow.expires_at > self._clock.now())
        )).one_or_none()
        if row is None:
            return None
        found, agent_row_id, name = row
        return WebSession(
            account_id=found.account_id, agent_row_id=agent_row_id,
            zendesk_user_id=found.agent_id, name=name, role=found.role,
            role_checked_at=found.role_checked_at, expires_at=found.expires_at,
        )

    async def confirm_role(self, session_id: str, role: str) -> None:
        """Record the role Zendesk gave just now."""
        await execute_write(self._session, update(WebSessionRow)
                            .where(WebSessionRow.id_hash == session_id_hash(session_id))
                            .values(role=role, role_checked_at=self._clock.now()))

    async def end(self, session_id: str) -> None:
        """End a session (sign-out, or Zendesk no longer counts the user as an agent)."""
        await execute_write(self._session, delete(WebSessionRow)
                            .where(WebSessionRow.id_hash == session_id_hash(session_id)))
