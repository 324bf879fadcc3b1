"""The database schema: every table zdcal keeps, as SQLAlchemy 2 typed declarative models.

Conventions:

* Instants are :class:`~zdcal.store.columns.UtcDateTime` (aware UTC in Python).
* Zendesk ids (tickets, users, triggers) are 64-bit.
* Outside the ``agents`` table, ``agent_id`` means the agent's **Zendesk user id**, as in
  ``zdcal.domain``; ``agents.id`` is zdcal's own surrogate key.
* Columns whose name ends in ``_encrypted`` hold Fernet ciphertext written by a
  :class:`~zdcal.store.vault.Vault` and are marked ``info={"encrypted": True}``;
  nothing else in the database is secret.
* Every row belongs to an account; removing an account removes all of its rows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    column,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations

from zdcal.domain.due_dates import DueDateReading
from zdcal.domain.ticket import ACTIVE_STATUSES, TASK_TYPE
from zdcal.store.columns import UtcDateTime

# Stable constraint names: Alembic's SQLite batch mode needs them to find constraints again.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# How much of a ticket's description is mirrored: Cronofy takes at most 4096 characters
# of event description, and the agent link goes first, so more is never needed.
DESCRIPTION_LIMIT = 4096


def open_task(
    type_: SQLCoreOperations[Any], status: SQLCoreOperations[Any]
) -> ColumnElement[bool]:
    """:func:`zdcal.domain.is_open_task_status` in SQL, on a ticket's two columns."""
    return and_(type_ == TASK_TYPE, status.in_(ACTIVE_STATUSES))


class AuthKind(StrEnum):
    """How zdcal authenticates to a Zendesk account."""

    API_TOKEN = "api_token"  # noqa: S105 (a kind of credential, not one)
    OAUTH = "oauth"


class BackfillState(StrEnum):
    """Progress of the first full read of an account's open tasks."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    DONE = "done"


class AgentStatus(StrEnum):
    """Whether zdcal can write to an agent's calendar."""

    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class MailKind(StrEnum):
    """What a queued mail is about."""

    RECONNECT = "reconnect"  # to one agent: their calendar access broke
    SUMMARY = "summary"  # to the account's admins: the day's problems


class MailStatus(StrEnum):
    """Where a queued mail stands."""

    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"  # obsolete before it could be sent (the agent reconnected, ...)


# An account always holds a full set of credentials of its kind, and a webhook its token.
CREDENTIALS_COMPLETE = (
    "(auth_kind = 'api_token' AND api_token_encrypted IS NOT NULL) OR "
    "(auth_kind = 'oauth' AND oauth_client_id IS NOT NULL"
    " AND oauth_client_secret_encrypted IS NOT NULL"
    " AND oauth_access_token_encrypted IS NOT NULL)"
)
WEBHOOK_COMPLETE = "webhook_id IS NULL OR webhook_token_encrypted IS NOT NULL"


def _one_of(name: str, values: type[StrEnum] | tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{name} IN ({allowed})", name=f"{name}_allowed")


def _of_agent() -> ForeignKeyConstraint:
    """(account_id, agent_id) names an agent; the row goes when the agent goes."""
    return ForeignKeyConstraint(
        ["account_id", "agent_id"],
        ["agents.account_id", "agents.zendesk_user_id"],
        ondelete="CASCADE",
    )


def _encrypted(*, nullable: bool = True) -> Mapped[Any]:
    return mapped_column(Text, nullable=nullable, info={"encrypted": True})


class Base(DeclarativeBase):
    """Declarative base of every zdcal table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime}


class AccountRow(Base):
    """A connected Zendesk account and how zdcal talks to it."""

    __tablename__ = "accounts"
    __table_args__ = (
        _one_of("auth_kind", AuthKind),
        _one_of("backfill_state", BackfillState),
        _one_of("due_date_reading", DueDateReading),
        CheckConstraint(CREDENTIALS_COMPLETE, name="credentials_complete"),
        CheckConstraint(WEBHOOK_COMPLETE, name="webhook_complete"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Part of every calendar event id zdcal writes for this account: never changes.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    subdomain: Mapped[str] = mapped_column(String(255), unique=True)
    base_url: Mapped[str] = mapped_column(String(255))
    auth_kind: Mapped[str] = mapped_column(String(16))
    admin_email: Mapped[str] = mapped_column(String(320))
    api_token_encrypted: Mapped[str | None] = _encrypted()
    oauth_client_id: Mapped[str | None] = mapped_column(String(255))
    oauth_client_secret_encrypted: Mapped[str | None] = _encrypted()
    oauth_access_token_encrypted: Mapped[str | None] = _encrypted()
    oauth_refresh_token_encrypted: Mapped[str | None] = _encrypted()
    oauth_expires_at: Mapped[datetime | None]
    webhook_id: Mapped[str | None] = mapped_column(String(64))
    webhook_token_encrypted: Mapped[str | None] = _encrypted()
    # One ciphertext of a JSON list: during a rotation more than one secret is current.
    webhook_signing_secrets_encrypted: Mapped[str | None] = _encrypted()
    trigger_id: Mapped[int | None] = mapped_column(BigInteger)
    trigger_category_id: Mapped[str | None] = mapped_column(String(64))
    backfill_state: Mapped[str] = mapped_column(String(16), default=BackfillState.NOT_STARTED)
    backfill_started_at: Mapped[datetime | None]
    backfill_finished_at: Mapped[datetime | None]
    last_webhook_at: Mapped[datetime | None]
    # Calendar moves update due dates in Zendesk, unless an agent or this says no.
    two_way_default: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Event style for agents who did not choose their own (None: zdcal's defaults).
    default_style: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How due_at values are read as dates (zdcal.domain.due_dates), chosen by an admin.
    due_date_reading: Mapped[str] = mapped_column(
        String(16), default=DueDateReading.AGENT_ZONE, server_default=DueDateReading.AGENT_ZONE
    )
    # The account's IANA time zone as Zendesk's account settings last said (None: unread).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


DEFAULT_CALENDAR_BACKEND = "cronofy"
"""The backend of agents recorded before backends were recorded, and of new ones."""


class AgentRow(Base):
    """A Zendesk agent and the calendar zdcal writes their tasks to."""

    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("account_id", "zendesk_user_id"),
        _one_of("status", AgentStatus),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    zendesk_user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    time_zone: Mapped[str] = mapped_column(String(64))  # IANA, from Zendesk
    time_zone_override: Mapped[str | None] = mapped_column(String(64))  # IANA, chosen by agent
    # Which calendar backend serves the agent (a name in zdcal.calendars.registry).
    calendar_backend: Mapped[str] = mapped_column(
        String(32), default=DEFAULT_CALENDAR_BACKEND, server_default=DEFAULT_CALENDAR_BACKEND
    )
    calendar_account_id: Mapped[str | None] = mapped_column(String(255))  # the backend's id
    data_center: Mapped[str | None] = mapped_column(String(8))
    access_token_encrypted: Mapped[str | None] = _encrypted()
    refresh_token_encrypted: Mapped[str | None] = _encrypted()
    token_expires_at: Mapped[datetime | None]
    calendar_id: Mapped[str | None] = mapped_column(String(255))
    calendar_name: Mapped[str | None] = mapped_column(String(255))
    style: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_since: Mapped[datetime]
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Calendar → Zendesk (two-way): the push channel (with what it watches and when it
    # expires, for services that cannot list channels), how far its changes were read,
    # and the agent's own switch (None: the account's default).
    channel_id: Mapped[str | None] = mapped_column(String(64))
    channel_resource_id: Mapped[str | None] = mapped_column(String(255))
    channel_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    events_read_at: Mapped[datetime | None]
    two_way: Mapped[bool | None]
    # A CalDAV account (instead of OAuth tokens): its calendar home, username and app
    # password. The read state is the backend's own (JSON text: CalDAV's sync token or
    # CTag per calendar), stored with ``events_read_at`` after the changes were acted on.
    caldav_url: Mapped[str | None] = mapped_column(String(1000))
    caldav_username: Mapped[str | None] = mapped_column(String(255))
    caldav_password_encrypted: Mapped[str | None] = _encrypted()
    calendar_read_state: Mapped[str | None] = mapped_column(Text)


class TicketRow(Base):
    """The mirror of the ticket fields the rules need (tasks, and tickets with entries)."""

    __tablename__ = "tickets"
    __table_args__ = (
        # "Open tasks assigned to agent X": kept small by indexing open tasks only.
        Index(
            "ix_tickets_open_tasks_by_assignee",
            "account_id",
            "assignee_id",
            sqlite_where=open_task(column("type"), column("status")),
            postgresql_where=open_task(column("type"), column("status")),
        ),
    )

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    subject: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime | None]
    generated_timestamp: Mapped[int | None] = mapped_column(BigInteger)


class CalendarEntryRow(Base):
    """An event zdcal wrote: which ticket, in whose calendar, with which content."""

    __tablename__ = "calendar_entries"
    __table_args__ = (
        # Removing an agent forgets their entries: without tokens they cannot be deleted.
        _of_agent(),
        Index(None, "account_id", "agent_id"),
    )

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Zendesk user id
    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(128))
    written_at: Mapped[datetime]
    # What was written, to tell an agent's move from our own write; and the due_at the
    # agent's move set, while it stands (a timed event then keeps the moved time).
    event_start: Mapped[str | None] = mapped_column(String(64))
    event_end: Mapped[str | None] = mapped_column(String(64))
    pinned_due_at: Mapped[datetime | None]
    # Where the calendar keeps the event and its version, for backends that need them to
    # write conditionally (CalDAV: the object's URL and ETag); None elsewhere.
    object_href: Mapped[str | None] = mapped_column(Text)
    object_etag: Mapped[str | None] = mapped_column(String(255))


class SyncCursorRow(Base):
    """Where an account's incremental ticket export continues from."""

    __tablename__ = "sync_cursors"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    cursor: Mapped[str] = mapped_column(Text)  # opaque, Zendesk's ``after_cursor``
    start_time: Mapped[datetime]  # the ``start_time`` the cursor chain began from
    stored_at: Mapped[datetime]


class FailedTicketRow(Base):
    """A ticket whose calendar writes failed, and when to try again."""

    __tablename__ = "failed_tickets"
    __table_args__ = (
        CheckConstraint("attempts >= 1", name="attempts_positive"),
        Index(None, "account_id", "next_retry_at"),
    )

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)  # Zendesk user id, when known
    reason: Mapped[str] = mapped_column(String(500))
    # zdcal.calendars.base.FailureKind: what the pages put in plain words.
    kind: Mapped[str] = mapped_column(String(32), server_default="unknown")
    attempts: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    next_retry_at: Mapped[datetime]


class MailRow(Base):
    """A mail to send (the outbox): written in the transaction that decided it, sent later.

    ``dedupe_key`` makes each mail exist once however many servers decide it: one per
    breakage of an agent's calendar access, one summary per account and day. The message
    itself is composed when it is sent, from the state of that moment.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        _of_agent(),
        _one_of("kind", MailKind),
        _one_of("status", MailStatus),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(BigInteger)  # Zendesk user id (reconnect)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


def encrypted_columns() -> dict[str, tuple[str, ...]]:
    """Map each table name to its encrypted column names (for re-encryption and audits)."""
    found: dict[str, tuple[str, ...]] = {}
    for table in Base.metadata.sorted_tables:
        names = tuple(col.name for col in table.columns if col.info.get("encrypted"))
        if names:
            found[table.name] = names
    return found


class PendingNotificationRow(Base):
    """A ticket a Zendesk webhook said changed, waiting for the worker to re-read it.

    Written before the webhook is answered, deleted after the ticket was applied: a
    crash or a restart in between loses nothing.
    """

    __tablename__ = "pending_notifications"
    __table_args__ = (Index(None, "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime]


class AccountLeaseRow(Base):
    """Who works on an account now: one holder at a time, across processes and machines."""

    __tablename__ = "account_leases"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    # The holding process, where it can be told (zdcal.live.processes): a process on the
    # same machine may take over at once from a holder that is gone.
    holder_view: Mapped[str | None] = mapped_column(String(96))
    holder_pid: Mapped[int | None]
    holder_started: Mapped[int | None] = mapped_column(BigInteger)


class TokenRefreshLeaseRow(Base):
    """Who refreshes an agent's calendar tokens now: one holder at a time, across processes,
    so a rotated refresh token is never presented twice."""

    __tablename__ = "token_refresh_leases"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class SuppressedEventRow(Base):
    """A task event the agent deleted from their calendar: kept off it until the task's
    due date, assignee or type changes (the basis recorded here)."""

    __tablename__ = "suppressed_events"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Zendesk user id
    due_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str | None] = mapped_column(String(16))
    suppressed_at: Mapped[datetime]


class PendingCalendarReadRow(Base):
    """An agent whose calendar reported changes to our events, waiting to be read."""

    __tablename__ = "pending_calendar_reads"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Zendesk user id
    received_at: Mapped[datetime]


class WebSessionRow(Base):
    """A browser signed in to the pages: whose session, with which role, until when.

    The cookie carries the session id; only its SHA-256 is kept here, so whoever reads the
    database cannot sign in with it. Deleting the row ends the session for every copy of
    the cookie; removing the agent (or the account) ends their sessions.
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        _of_agent(),
        Index(None, "account_id", "agent_id"),
    )

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256
    account_id: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int] = mapped_column(BigInteger)  # Zendesk user id
    role: Mapped[str] = mapped_column(String(16))  # "agent" or "admin", as Zendesk last said
    role_checked_at: Mapped[datetime]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class IcsFeedRow(Base):
    """An agent's calendar subscription (ICS feed): the secret URL's token, as a hash.

    The URL ``/ics/<token>.ics`` carries a 256-bit random token; only its SHA-256 is kept,
    so whoever reads the database cannot subscribe with it. A new token replaces the old
    one (rotation); deleting the row revokes the feed. ``content_digest`` and
    ``changed_at`` are the feed's version as last served: its ``ETag`` and
    ``Last-Modified``.
    """

    __tablename__ = "ics_feeds"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "agent_id"],
            ["agents.account_id", "agents.zendesk_user_id"],
            ondelete="CASCADE",
        ),
    )

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Zendesk user id
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    private: Mapped[bool] = mapped_column(default=True, server_default=true())
    content_digest: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime]
    created_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """A Zendesk webhook delivery already accepted, by what identifies it: remembered for
    the signature window so that no copy of it is accepted twice, by any process."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "received_at"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    received_at: Mapped[datetime]


class RunKind(StrEnum):
    """The background runs whose latest result the admin page shows."""

    SWEEP = "sweep"
    VERIFY = "verify"


class SyncRunRow(Base):
    """The latest finished run of each kind per account, with what it did: the worker's
    memory ends with its process, the admin page must not."""

    __tablename__ = "sync_runs"
    __table_args__ = (_one_of("kind", RunKind),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    tickets_read: Mapped[int] = mapped_column(Integer)
    events_created: Mapped[int] = mapped_column(Integer)
    events_updated: Mapped[int] = mapped_column(Integer)
    events_deleted: Mapped[int] = mapped_column(Integer)
    events_failed: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))  # None: the run succeeded


class RateBudgetRow(Base):
    """One API budget scope shared by every process (``zdcal.http.budgets``): its row is
    locked while a request is admitted, and holds the limit learned from the service.
    Budgets belong to the installation, not to an account (exception to the rule above)."""

    __tablename__ = "rate_budgets"

    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    learned_limit: Mapped[int | None] = mapped_column(Integer)


class RateBudgetSlotRow(Base):
    """Sends admitted in one slot of one window of a scope (seconds since the epoch
    divided by the slot's length); slots that no longer count are pruned."""

    __tablename__ = "rate_budget_slots"

    scope: Mapped[str] = mapped_column(
        ForeignKey("rate_budgets.scope", ondelete="CASCADE"), primary_key=True
    )
    window_ms: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    used: Mapped[int] = mapped_column(Integer)


class RateBudgetHoldRow(Base):
    """Concurrency slots one request holds in a scope, until released or ``expires_at``
    (seconds since the epoch: a killed holder cannot keep them)."""

    __tablename__ = "rate_budget_holds"

    scope: Mapped[str] = mapped_column(
        ForeignKey("rate_budgets.scope", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)
