"""Push channels that expire: per agent, what the channel watches (the service's resource
id, needed to stop it) and when it expires (Google's channels do; they are replaced a
day before).

Revision ID: 0016_push_channels
Revises: 0015_caldav
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_push_channels"
down_revision: str | None = "0015_caldav"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("channel_resource_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("channel_expires_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_index(op.f("ix_agents_channel_expires_at"), ["channel_expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_index(op.f("ix_agents_channel_expires_at"))
        batch.drop_column("channel_expires_at")
        batch.drop_column("channel_resource_id")
