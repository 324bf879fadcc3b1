"""Connected Zendesk accounts: credentials, webhook and trigger registration, backfill state.

Every secret (API token, OAuth client secret and tokens, webhook bearer token, webhook
signing secrets) is encrypted with the :class:`~zdcal.store.vault.Vault` before it is
written and decrypted when read; the returned dataclasses keep secrets out of ``repr``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.store.errors import AccountAlreadyExists, AccountNotFound
from zdcal.store.repository import Repository
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import AccountRow, AuthKind, BackfillState
from zdcal.store.vault import Vault


@dataclass(frozen=True)
class ZendeskApiToken:
    """API-token authentication (``email/token:token``); being retired by Zendesk in 2027."""

    email: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class ZendeskOAuth:
    """OAuth authentication: the client zdcal used and the tokens it holds."""

    client_id: str
    client_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None  # None: the access token does not expire


ZendeskCredentials = ZendeskApiToken | ZendeskOAuth


@dataclass(frozen=True)
class Webhook:
    """The Zendesk webhook that notifies zdcal, and what authenticates its deliveries."""

    id: str
    bearer_token: str = field(repr=False)
    # Newest first; more than one is current while the signing secret is being rotated.
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Trigger:
    """The Zendesk trigger that calls the webhook, and the category it was filed in."""

    id: int
    category_id: str | None


@dataclass(frozen=True)
class Backfill:
    """Progress of the first full read of the account's open tasks."""

    state: BackfillState
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Account:
    """A connected Zendesk account, secrets decrypted."""

    id: int
    key: str  # short random uid; part of every event id written for this account
    subdomain: str
    base_url: str
    admin_email: str
    credentials: ZendeskCredentials
    webhook: Webhook | None
    trigger: Trigger | None
    backfill: Backfill
    last_webhook_at: datetime | None
    created_at: datetime
    updated_at: datetime
    two_way_default: bool = True
    default_style: dict[str, Any] | None = None  # EventStyleOptions for agents without one
    due_date_reading: str = "agent_zone"  # a zdcal.domain.DueDateReading value
    time_zone: str | None = None  # IANA, from Zendesk's account settings; None: not read yet

    @property
    def auth_kind(self) -> AuthKind:
        """Which of the two ways zdcal authenticates to this account."""
        if isinstance(self.credentials, ZendeskOAuth):
            return AuthKind.OAUTH
        return AuthKind.API_TOKEN


def new_account_key() -> str:
    """A fresh account key: 12 lowercase hex characters (48 random bits).

    Hex keeps event ids within any provider's allowed characters; the unique constraint
    on ``accounts.key`` guards the (negligible) chance of a collision.
    """
    return secrets.token_hex(6)


def normalize_subdomain(subdomain: str) -> str:
    """Subdomains are case-insensitive hostnames: compare and store them lowercase."""
    return subdomain.strip().lower()


class Accounts(Repository):
    """Reads and writes ``accounts``. Does not commit: the caller owns the transaction."""

    def __init__(self, session: AsyncSession, vault: Vault, clock: Clock) -> None:
        super().__init__(session, clock)
        self._vault = vault

    async def add(
        self,
        *,
        subdomain: str,
        base_url: str,
        admin_email: str,
        credentials: ZendeskCredentials,
        key: str | None = None,
    ) -> Account:
        """Connect a new account; raises :class:`AccountAlreadyExists` for a known subdomain."""
        now = self._clock.now()
        values: dict[str, Any] = {
            "key": key or new_account_key(),
            "subdomain": normalize_subdomain(subdomain),
            "base_url": base_url.rstrip("/"),
            "admin_email": admin_email,
            "backfill_state": BackfillState.NOT_STARTED.value,
            "created_at": now,
            "updated_at": now,
            **self._credential_columns(credentials),
        }
        # ON CONFLICT DO NOTHING instead of catching IntegrityError: on PostgreSQL a failed
        # INSERT would abort the caller's whole transaction.
        insert = dialect_insert(self._session, AccountRow)
        statement = insert.values(values).on_conflict_do_nothing().returning(AccountRow.id)
        account_id = (await self._session.execute(statement)).scalar_one_or_none()
        if account_id is None:
            raise AccountAlreadyExists(f"account {values['subdomain']!r} is already connected")
        return await self._require(account_id)

    async def get(self, account_id: int) -> Account | None:
        """The account with this id, or ``None``."""
        return await self._one(AccountRow.id == account_id)

    async def get_by_subdomain(self, subdomain: str) -> Account | None:
        """The account for a Zendesk subdomain (case-insensitive), or ``None``."""
        return await self._one(AccountRow.subdomain == normalize_subdomain(subdomain))

    async def get_by_key(self, key: str) -> Account | None:
        """The account whose key is ``key`` (as found in webhook URLs and event ids)."""
        return await self._one(AccountRow.key == key)

    async def all(self) -> list[Account]:
        """Every account, oldest first."""
        rows = await self._session.scalars(
            select(AccountRow).order_by(AccountRow.id).execution_options(populate_existing=True)
        )
        return [self._from_row(row) for row in rows]

    async def remove(self, account_id: int) -> None:
        """Forget an account and everything stored for it (agents, mirror, entries...)."""
        statement = delete(AccountRow).where(AccountRow.id == account_id)
        if await execute_write(self._session, statement) == 0:
            raise AccountNotFound(f"no account {account_id}")

    async def set_credentials(self, account_id: int, credentials: ZendeskCredentials) -> None:
        """Replace how zdcal authenticates (e.g. moving from an API token to OAuth)."""
        await self._update(account_id, **self._credential_columns(credentials))

    async def set_oauth_tokens(
        self,
        account_id: int,
        *,
        access_token: str,
        refresh_token: str | None,
        expires_at: datetime | None,
    ) -> None:
        """Store rotated OAuth tokens (Zendesk rotates the refresh token on every use)."""
        await self._update(
            account_id,
            oauth_access_token_encrypted=self._vault.encrypt(access_token),
            oauth_refresh_token_encrypted=self._vault.encrypt_optional(refresh_token),
            oauth_expires_at=expires_at,
        )

    async def set_webhook(self, account_id: int, webhook: Webhook | None) -> None:
        """Record the registered webhook, or ``None`` once it was deleted."""
        if webhook is None:
            await self._update(
                account_id,
                webhook_id=None,
                webhook_token_encrypted=None,
                webhook_signing_secrets_encrypted=None,
            )
            return
        await self._update(
            account_id,
            webhook_id=webhook.id,
            webhook_token_encrypted=self._vault.encrypt(webhook.bearer_token),
            webhook_signing_secrets_encrypted=self._encrypt_secrets(webhook.signing_secrets),
        )

    async def set_signing_secrets(self, account_id: int, signing_secrets: Sequence[str]) -> None:
        """Replace the webhook signing secrets (newest first) that deliveries may carry."""
        await self._update(
            account_id,
            webhook_signing_secrets_encrypted=self._encrypt_secrets(signing_secrets),
        )

    async def set_trigger(self, account_id: int, trigger: Trigger | None) -> None:
        """Record the registered trigger, or ``None`` once it was deleted."""
        await self._update(
            account_id,
            trigger_id=trigger.id if trigger else None,
            trigger_category_id=trigger.category_id if trigger else None,
        )

    async def set_backfill_state(self, account_id: int, state: BackfillState) -> None:
        """Move the backfill along: RUNNING stamps the start, DONE the end, NOT_STARTED resets."""
        now = self._clock.now()
        changes: dict[str, Any] = {"backfill_state": state.value}
        if state is BackfillState.NOT_STARTED:
            changes |= {"backfill_started_at": None, "backfill_finished_at": None}
        elif state is BackfillState.RUNNING:
            changes |= {"backfill_started_at": now, "backfill_finished_at": None}
        else:
            changes |= {"backfill_finished_at": now}
        await self._update(account_id, **changes)

    async def set_two_way_default(self, account_id: int, enabled: bool) -> None:
        """Whether calendar moves update due dates, for agents who did not choose."""
        await self._update(account_id, two_way_default=enabled)

    async def set_default_style(self, account_id: int, style: dict[str, Any] | None) -> None:
        """The event style of agents who have not chosen one (None: zdcal's defaults)."""
        await self._update(account_id, default_style=None if style is None else dict(style))

    async def set_due_date_reading(self, account_id: int, reading: str) -> None:
        """How the account's due_at values are read as dates (a DueDateReading value)."""
        await self._update(account_id, due_date_reading=reading)

    async def set_time_zone(self, account_id: int, time_zone: str | None) -> None:
        """The account's IANA time zone, as Zendesk's account settings say."""
        await self._update(account_id, time_zone=time_zone)

    async def mark_webhook_received(self, account_id: int) -> None:
        """Remember that a webhook delivery arrived now (shown as the account's health)."""
        await self._update(account_id, last_webhook_at=self._clock.now())

    def _credential_columns(self, credentials: ZendeskCredentials) -> dict[str, Any]:
        # Every credential column is written, so switching kinds leaves no stale secret.
        if isinstance(credentials, ZendeskApiToken):
            return {
                "auth_kind": AuthKind.API_TOKEN.value,
                "admin_email": credentials.email,
                "api_token_encrypted": self._vault.encrypt(credentials.token),
                "oauth_client_id": None,
                "oauth_client_secret_encrypted": None,
                "oauth_access_token_encrypted": None,
                "oauth_refresh_token_encrypted": None,
                "oauth_expires_at": None,
            }
        return {
            "auth_kind": AuthKind.OAUTH.value,
            "api_token_encrypted": None,
            "oauth_client_id": credentials.client_id,
            "oauth_client_secret_encrypted": self._vault.encrypt(credentials.client_secret),
            "oauth_access_token_encrypted": self._vault.encrypt(credentials.access_token),
            "oauth_refresh_token_encrypted": self._vault.encrypt_optional(
                credentials.refresh_token
            ),
            "oauth_expires_at": credentials.expires_at,
        }

    def _encrypt_secrets(self, signing_secrets: Sequence[str]) -> str | None:
        if not signing_secrets:
            return None
        return self._vault.encrypt(json.dumps(list(signing_secrets)))

    async def _update(self, account_id: int, **values: Any) -> None:
        statement = (
            update(AccountRow)
            .where(AccountRow.id == account_id)
            .values(**values, updated_at=self._clock.now())
            .execution_options(synchronize_session=False)
        )
        if await execute_write(self._session, statement) == 0:
            raise AccountNotFound(f"no account {account_id}")

    async def _require(self, account_id: int) -> Account:
        account = await self.get(account_id)
        if account is None:
            raise AccountNotFound(f"no account {account_id}")
        return account

    async def _one(self, condition: Any) -> Account | None:
        row = await self._session.scalar(
            select(AccountRow).where(condition).execution_options(populate_existing=True)
        )
        return None if row is None else self._from_row(row)

    def _from_row(self, row: AccountRow) -> Account:
        return Account(
            id=row.id,
            key=row.key,
            subdomain=row.subdomain,
            base_url=row.base_url,
            admin_email=row.admin_email,
            credentials=self._credentials(row),
            webhook=self._webhook(row),
            trigger=(
                Trigger(id=row.trigger_id, category_id=row.trigger_category_id)
                if row.trigger_id is not None
                else None
            ),
            backfill=Backfill(
                state=BackfillState(row.backfill_state),
                started_at=row.backfill_started_at,
                finished_at=row.backfill_finished_at,
            ),
            last_webhook_at=row.last_webhook_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            two_way_default=row.two_way_default,
            default_style=row.default_style,
            due_date_reading=row.due_date_reading,
            time_zone=row.time_zone,
        )

    def _credentials(self, row: AccountRow) -> ZendeskCredentials:
        # The credentials_complete check constraint guarantees the columns of the kind.
        decrypt = self._vault.decrypt
        if row.auth_kind == AuthKind.API_TOKEN:
            assert row.api_token_encrypted is not None
            return ZendeskApiToken(email=row.admin_email, token=decrypt(row.api_token_encrypted))
        assert row.oauth_client_id is not None
        assert row.oauth_client_secret_encrypted is not None
        assert row.oauth_access_token_encrypted is not None
        return ZendeskOAuth(
            client_id=row.oauth_client_id,
            client_secret=decrypt(row.oauth_client_secret_encrypted),
            access_token=decrypt(row.oauth_access_token_encrypted),
            refresh_token=self._vault.decrypt_optional(row.oauth_refresh_token_encrypted),
            expires_at=row.oauth_expires_at,
        )

    def _webhook(self, row: AccountRow) -> Webhook | None:
        if row.webhook_id is None:
            return None
        assert row.webhook_token_encrypted is not None  # the webhook_complete constraint
        secrets_json = self._vault.decrypt_optional(row.webhook_signing_secrets_encrypted)
        return Webhook(
            id=row.webhook_id,
            bearer_token=self._vault.decrypt(row.webhook_token_encrypted),
            signing_secrets=tuple(json.loads(secrets_json)) if secrets_json else (),
        )
