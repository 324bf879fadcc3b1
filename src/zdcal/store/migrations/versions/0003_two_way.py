"""Two-way sync: push channels, written event times, pins, suppressions, calendar reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("two_way_default", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("channel_id", sa.String(64), nullable=True))
        batch.add_column(_instant("events_read_at"))
        batch.add_column(sa.Column("two_way", sa.Boolean(), nullable=True))
    with op.batch_alter_table("calendar_entries") as batch:
        batch.add_column(sa.Column("event_start", sa.String(64), nullable=True))
        batch.add_column(sa.Column("event_end", sa.String(64), nullable=True))
        batch.add_column(_instant("pinned_due_at"))
    op.create_table(
        "suppressed_events",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        _instant("due_at"),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(16), nullable=True),
        _instant("suppressed_at", nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_suppressed_events_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "ticket_id", "agent_id",
                                name=op.f("pk_suppressed_events")),
    )
    op.create_table(
        "pending_calendar_reads",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        _instant("received_at", nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_pending_calendar_reads_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "agent_id", name=op.f("pk_pending_calendar_reads")),
    )


def downgrade() -> None:
    op.drop_table("pending_calendar_reads")
    op.drop_table("suppressed_events")
    with op.batch_alter_table("calendar_entries") as batch:
        batch.drop_column("pinned_due_at")
        batch.drop_column("event_end")
        batch.drop_column("event_start")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("two_way")
        batch.drop_column("events_read_at")
        batch.drop_column("channel_id")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("two_way_default")
