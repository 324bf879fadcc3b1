"""The mail outbox: reconnect mails to agents, daily summaries to admins.

Revision ID: 0009_mail_outbox
Revises: 0008_webhook_dedupe
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_mail_outbox"
down_revision: str | None = "0008_webhook_dedupe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reconnect', 'summary')", name=op.f("ck_mail_outbox_kind_allowed")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dropped')",
            name=op.f("ck_mail_outbox_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name=op.f("fk_mail_outbox_account_id_accounts"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "agent_id"],
            ["agents.account_id", "agents.zendesk_user_id"],
            name=op.f("fk_mail_outbox_account_id_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_outbox_dedupe_key")),
    )
    op.create_index(
        op.f("ix_mail_outbox_status_next_attempt_at"), "mail_outbox",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_outbox_status_next_attempt_at"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
