"""Initial schema: accounts, agents, tickets, calendar entries, sync cursors, failed tickets.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Types are spelled out here rather than imported from ``zdcal.store.tables``: a revision
must keep describing the schema as it was, whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_TASKS = sa.text("type = 'task' AND status IN ('new', 'open', 'pending', 'hold')")


def _instant(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table of zdcal's first schema."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("subdomain", sa.String(255), nullable=False),
        sa.Column("base_url", sa.String(255), nullable=False),
        sa.Column("auth_kind", sa.String(16), nullable=False),
        sa.Column("admin_email", sa.String(320), nullable=False),
        sa.Column("api_token_encrypted", sa.Text(), nullable=True),
        sa.Column("oauth_client_id", sa.String(255), nullable=True),
        sa.Column("oauth_client_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("oauth_access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("oauth_refresh_token_encrypted", sa.Text(), nullable=True),
        _instant("oauth_expires_at"),
        sa.Column("webhook_id", sa.String(64), nullable=True),
        sa.Column("webhook_token_encrypted", sa.Text(), nullable=True),
        sa.Column("webhook_signing_secrets_encrypted", sa.Text(), nullable=True),
        sa.Column("trigger_id", sa.BigInteger(), nullable=True),
        sa.Column("trigger_category_id", sa.String(64), nullable=True),
        sa.Column("backfill_state", sa.String(16), nullable=False),
        _instant("backfill_started_at"),
        _instant("backfill_finished_at"),
        _instant("last_webhook_at"),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.CheckConstraint(
            "auth_kind IN ('api_token', 'oauth')", name=op.f("ck_accounts_auth_kind_allowed")
        ),
        sa.CheckConstraint(
            "backfill_state IN ('not_started', 'running', 'done')",
            name=op.f("ck_accounts_backfill_state_allowed"),
        ),
        sa.CheckConstraint(
            "(auth_kind = 'api_token' AND api_token_encrypted IS NOT NULL) OR "
            "(auth_kind = 'oauth' AND oauth_client_id IS NOT NULL"
            " AND oauth_client_secret_encrypted IS NOT NULL"
            " AND oauth_access_token_encrypted IS NOT NULL)",
            name=op.f("ck_accounts_credentials_complete"),
        ),
        sa.CheckConstraint(
            "webhook_id IS NULL OR webhook_token_encrypted IS NOT NULL",
            name=op.f("ck_accounts_webhook_complete"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_accounts_key")),
        sa.UniqueConstraint("subdomain", name=op.f("uq_accounts_subdomain")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("zendesk_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("time_zone_override", sa.String(64), nullable=True),
        sa.Column("calendar_account_id", sa.String(255), nullable=True),
        sa.Column("data_center", sa.String(8), nullable=True),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        _instant("token_expires_at"),
        sa.Column("calendar_id", sa.String(255), nullable=True),
        sa.Column("calendar_name", sa.String(255), nullable=True),
        sa.Column("style", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.String(500), nullable=True),
        _instant("status_since", nullable=False),
        _instant("last_synced_at"),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'needs_reconnect', 'disconnected')",
            name=op.f("ck_agents_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_agents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint(
            "account_id", "zendesk_user_id", name=op.f("uq_agents_account_id_zendesk_user_id")
        ),
    )
    op.create_table(
        "tickets",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _instant("due_at"),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(16), nullable=True),
        _instant("updated_at"),
        sa.Column("generated_timestamp", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_tickets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "ticket_id", name=op.f("pk_tickets")),
    )
    op.create_index(
        "ix_tickets_open_tasks_by_assignee",
        "tickets",
        ["account_id", "assignee_id"],
        sqlite_where=OPEN_TASKS,
        postgresql_where=OPEN_TASKS,
    )
    op.create_table(
        "calendar_entries",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("calendar_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        _instant("written_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "agent_id"],
            ["agents.account_id", "agents.zendesk_user_id"],
            name=op.f("fk_calendar_entries_account_id_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_calendar_entries_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "ticket_id", "agent_id", "calendar_id", name=op.f("pk_calendar_entries")
        ),
    )
    op.create_index(
        op.f("ix_calendar_entries_account_id_agent_id"),
        "calendar_entries",
        ["account_id", "agent_id"],
    )
    op.create_table(
        "sync_cursors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        _instant("start_time", nullable=False),
        _instant("stored_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_cursors_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "failed_tickets",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _instant("first_failed_at", nullable=False),
        _instant("last_failed_at", nullable=False),
        _instant("next_retry_at", nullable=False),
        sa.CheckConstraint("attempts >= 1", name=op.f("ck_failed_tickets_attempts_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_failed_tickets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "ticket_id", name=op.f("pk_failed_tickets")),
    )
    op.create_index(
        op.f("ix_failed_tickets_account_id_next_retry_at"),
        "failed_tickets",
        ["account_id", "next_retry_at"],
    )


def downgrade() -> None:
    """Drop every table (children first)."""
    for table in (
        "failed_tickets",
        "sync_cursors",
        "calendar_entries",
        "tickets",
        "agents",
        "accounts",
    ):
        op.drop_table(table)
