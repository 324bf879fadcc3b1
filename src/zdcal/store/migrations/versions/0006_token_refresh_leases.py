"""Per-agent token refresh leases: one refresh of an agent's calendar tokens at a time.

Revision ID: 0006_token_refresh_leases
Revises: 0005_server_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_token_refresh_leases"
down_revision: str | None = "0005_server_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_refresh_leases",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"],
            name=op.f("fk_token_refresh_leases_agent_id_agents"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_token_refresh_leases")),
    )


def downgrade() -> None:
    op.drop_table("token_refresh_leases")
