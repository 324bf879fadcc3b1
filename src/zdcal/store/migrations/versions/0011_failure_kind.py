"""What kind of problem a failed ticket met, so pages can say it in plain words.

Revision ID: 0011_failure_kind
Revises: 0010_sync_runs
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_failure_kind"
down_revision: str | None = "0010_sync_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("failed_tickets") as batch:
        # Failures recorded before kinds existed are of no known kind.
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False,
                                   server_default="unknown"))


def downgrade() -> None:
    with op.batch_alter_table("failed_tickets") as batch:
        batch.drop_column("kind")
