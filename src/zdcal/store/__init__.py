"""zdcal's state: tables, migrations, encryption at rest and repositories.

Start with :class:`Store` (``store.transaction()`` gives every repository on one
transaction), :func:`create_engine`, :class:`Vault` and :func:`upgrade`.
"""

from __future__ import annotations

from zdcal.store.accounts import (
    Account,
    Accounts,
    Backfill,
    Trigger,
    Webhook,
    ZendeskApiToken,
    ZendeskCredentials,
    ZendeskOAuth,
)
from zdcal.store.agent_tasks import AgentTask, AgentTaskPage, AgentTasks
from zdcal.store.agents import Agent, Agents, CalDAVAccount, CalendarTokens, EventStyleOptions
from zdcal.store.calendar_changes import PendingCalendarReads, Suppression, Suppressions
from zdcal.store.cursors import SyncCursor, SyncCursors
from zdcal.store.engine import create_engine, session_factory
from zdcal.store.entries import CalendarEntries, CalendarEntry, EntryContent, EntryPlace
from zdcal.store.errors import (
    AccountAlreadyExists,
    AccountNotFound,
    AgentNotFound,
    InsecureKeyFile,
    InvalidKey,
    MigrationError,
    RecordNotFound,
    SecretUndecryptable,
    StoreError,
    UnsupportedDatabase,
    VaultError,
)
from zdcal.store.failures import FailedTicket, FailedTickets, RetryBackoff
from zdcal.store.ics_feeds import IcsFeed, IcsFeeds
from zdcal.store.leases import AccountLeases, LeaseHolder, TokenRefreshLeases
from zdcal.store.mail_outbox import MailOutbox, QueuedMail
from zdcal.store.migrate import current_revision, head_revision, upgrade, upgrade_sync
from zdcal.store.notifications import PendingBatch, PendingNotifications
from zdcal.store.private_files import private_directory
from zdcal.store.rotation import reencrypt_secrets
from zdcal.store.sync_runs import RunCounts, SyncRun, SyncRuns
from zdcal.store.tables import (
    AgentStatus,
    AuthKind,
    BackfillState,
    MailKind,
    MailStatus,
    RunKind,
)
from zdcal.store.tickets import MirroredTicket, TicketMirror
from zdcal.store.transactions import Store, Transaction
from zdcal.store.vault import Vault, generate_key, load_or_create_key
from zdcal.store.web_sessions import WebSession, WebSessions
from zdcal.store.webhook_deliveries import WebhookDeliveries

__all__ = [
    "Account",
    "AccountAlreadyExists",
    "AccountLeases",
    "AccountNotFound",
    "Accounts",
    "Agent",
    "AgentNotFound",
    "AgentStatus",
    "AgentTask",
    "AgentTaskPage",
    "AgentTasks",
    "Agents",
    "AuthKind",
    "Backfill",
    "BackfillState",
    "CalDAVAccount",
    "CalendarEntries",
    "CalendarEntry",
    "CalendarTokens",
    "EntryContent",
    "EntryPlace",
    "EventStyleOptions",
    "FailedTicket",
    "FailedTickets",
    "IcsFeed",
    "IcsFeeds",
    "InsecureKeyFile",
    "InvalidKey",
    "LeaseHolder",
    "MailKind",
    "MailOutbox",
    "MailStatus",
    "MigrationError",
    "MirroredTicket",
    "PendingBatch",
    "PendingCalendarReads",
    "PendingNotifications",
    "QueuedMail",
    "RecordNotFound",
    "RetryBackoff",
    "RunCounts",
    "RunKind",
    "SecretUndecryptable",
    "Store",
    "StoreError",
    "Suppression",
    "Suppressions",
    "SyncCursor",
    "SyncCursors",
    "SyncRun",
    "SyncRuns",
    "TicketMirror",
    "TokenRefreshLeases",
    "Transaction",
    "Trigger",
    "UnsupportedDatabase",
    "Vault",
    "VaultError",
    "WebSession",
    "WebSessions",
    "Webhook",
    "WebhookDeliveries",
    "ZendeskApiToken",
    "ZendeskCredentials",
    "ZendeskOAuth",
    "create_engine",
    "current_revision",
    "generate_key",
    "head_revision",
    "load_or_create_key",
    "private_directory",
    "reencrypt_secrets",
    "session_factory",
    "upgrade",
    "upgrade_sync",
]
