"""How an account's due dates are read, and the account's time zone.

Revision ID: 0007_due_date_reading
Revises: 0006_token_refresh_leases
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_due_date_reading"
down_revision: str | None = "0006_token_refresh_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        # Existing accounts keep today's rule: the date in the agent's time zone.
        batch.add_column(sa.Column("due_date_reading", sa.String(16), nullable=False,
                                   server_default="agent_zone"))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        batch.create_check_constraint(
            op.f("ck_accounts_due_date_reading_allowed"),
            "due_date_reading IN ('agent_zone', 'account_zone', 'utc')",
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint(op.f("ck_accounts_due_date_reading_allowed"), type_="check")
        batch.drop_column("time_zone")
        batch.drop_column("due_date_reading")
