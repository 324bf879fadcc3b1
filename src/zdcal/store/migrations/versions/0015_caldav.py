"""CalDAV: an agent's server account (calendar home, username, encrypted app password)
and the poll state of their calendars; per entry the object's href and ETag.

Revision ID: 0015_caldav
Revises: 0014_ics_feeds
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_caldav"
down_revision: str | None = "0014_ics_feeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("caldav_url", sa.String(1000), nullable=True))
        batch.add_column(sa.Column("caldav_username", sa.String(255), nullable=True))
        batch.add_column(sa.Column("caldav_password_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("calendar_read_state", sa.Text(), nullable=True))
    with op.batch_alter_table("calendar_entries") as batch:
        batch.add_column(sa.Column("object_href", sa.Text(), nullable=True))
        batch.add_column(sa.Column("object_etag", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_entries") as batch:
        batch.drop_column("object_etag")
        batch.drop_column("object_href")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("calendar_read_state")
        batch.drop_column("caldav_password_encrypted")
        batch.drop_column("caldav_username")
        batch.drop_column("caldav_url")
