"""The latest sweep and verify of each account, with their counts, for the admin page.

Revision ID: 0010_sync_runs
Revises: 0009_mail_outbox
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sync_runs"
down_revision: str | None = "0009_mail_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_runs",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tickets_read", sa.Integer(), nullable=False),
        sa.Column("events_created", sa.Integer(), nullable=False),
        sa.Column("events_updated", sa.Integer(), nullable=False),
        sa.Column("events_deleted", sa.Integer(), nullable=False),
        sa.Column("events_failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.CheckConstraint("kind IN ('sweep', 'verify')", name=op.f("ck_sync_runs_kind_allowed")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name=op.f("fk_sync_runs_account_id_accounts"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", name=op.f("pk_sync_runs")),
    )


def downgrade() -> None:
    op.drop_table("sync_runs")
