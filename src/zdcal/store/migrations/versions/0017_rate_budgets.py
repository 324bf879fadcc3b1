"""API budgets shared by every process: scopes, their counters per time slot, and held
concurrency slots (zdcal.http.budgets; used on PostgreSQL).

Revision ID: 0017_rate_budgets
Revises: 0016_push_channels
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_rate_budgets"
down_revision: str | None = "0016_push_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_budgets",
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("learned_limit", sa.Integer(), nullable=True),
    )
    op.create_table(
        "rate_budget_slots",
        sa.Column("scope", sa.String(255),
                  sa.ForeignKey("rate_budgets.scope", ondelete="CASCADE"), primary_key=True),
        sa.Column("window_ms", sa.Integer(), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rate_budget_holds",
        sa.Column("scope", sa.String(255),
                  sa.ForeignKey("rate_budgets.scope", ondelete="CASCADE"), primary_key=True),
        sa.Column("holder", sa.String(64), primary_key=True),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_budget_holds")
    op.drop_table("rate_budget_slots")
    op.drop_table("rate_budgets")
