"""Each agent records which calendar backend serves it; every existing one is Cronofy's.

Revision ID: 0013_agent_calendar_backend
Revises: 0012_lease_holders
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_agent_calendar_backend"
down_revision: str | None = "0012_lease_holders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("calendar_backend", sa.String(32), nullable=False,
                      server_default="cronofy")
        )


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("calendar_backend")
