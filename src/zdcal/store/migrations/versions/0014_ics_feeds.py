"""Agents' calendar subscriptions (ICS feeds): the secret URL's token as a hash.

Revision ID: 0014_ics_feeds
Revises: 0013_agent_calendar_backend
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ics_feeds"
down_revision: str | None = "0013_agent_calendar_backend"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ics_feeds",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("content_digest", sa.String(64), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "agent_id"],
            ["agents.account_id", "agents.zendesk_user_id"],
            name=op.f("fk_ics_feeds_account_id_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "agent_id", name=op.f("pk_ics_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ics_feeds_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("ics_feeds")
