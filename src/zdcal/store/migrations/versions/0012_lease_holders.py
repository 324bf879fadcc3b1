"""Lease holders name their process, so a crashed holder is recognised at once.

Revision ID: 0012_lease_holders
Revises: 0011_failure_kind
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_lease_holders"
down_revision: str | None = "0011_failure_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_leases") as batch:
        batch.add_column(sa.Column("holder_view", sa.String(96), nullable=True))
        batch.add_column(sa.Column("holder_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("holder_started", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_leases") as batch:
        batch.drop_column("holder_started")
        batch.drop_column("holder_pid")
        batch.drop_column("holder_view")
