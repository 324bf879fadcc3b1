"""The composition root: settings in, a store and API clients wired together out.

Everything that needs configuration gets it from here, so there is one place that reads
the settings and one place that decides which URL, key and limiter each part uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from zdcal.clock import Clock, SystemClock
from zdcal.settings import Settings
from zdcal.store import (
    Account,
    Store,
    Vault,
    ZendeskApiToken,
    ZendeskOAuth,
    create_engine,
    load_or_create_key,
    private_directory,
    upgrade,
)

if TYPE_CHECKING:
    # The API clients and the sync engine are imported where they are first made, so
    # that a command that only reads the database ('zdcal status') starts quickly.
    import httpx

    from zdcal.http.pacing import RateLimiter
    from zdcal.sync.connector import CronofyConnector
    from zdcal.sync.engine import AccountSync
    from zdcal.sync.report import SyncReport
    from zdcal.zendesk import ZendeskClient
    from zdcal.zendesk.auth import OAuthTokens, ZendeskAuth

KEY_FILE = "secret.key"


def vault_for(settings: Settings) -> Vault:
    """The vault holding secrets at rest: the configured key(s), else a key file."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return Vault.from_text(settings.secret_key.get_secret_value())
    return Vault.from_text(load_or_create_key(settings.data_dir / KEY_FILE))


def zendesk_auth(account: Account) -> ZendeskAuth:
    from zdcal.zendesk.auth import ApiTokenAuth, OAuthAuth

    credentials = account.credentials
    if isinstance(credentials, ZendeskApiToken):
        return ApiTokenAuth(credentials.email, credentials.token)
    return OAuthAuth(
        access_token=credentials.access_token,
        refresh_token=credentials.refresh_token,
        expires_at=credentials.expires_at,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
    )


@dataclass
class Runtime:
    """A migrated store plus factories for API clients. Use as ``async with``."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def cronofy_limiter(self) -> RateLimiter:
        """Cronofy's limits are per application: one limiter for the whole process (made
        when first needed: commands that call no API never load the Cronofy client)."""
        from zdcal.calendars.cronofy import application_rate_limiter

        return application_rate_limiter()

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        """Migrate the database if needed and open the store."""
        private_directory(settings.data_dir)
        vault = vault_for(settings)
        await upgrade(settings.database_url)
        clock = clock or SystemClock()
        store = Store(create_engine(settings.database_url), vault, clock)
        return cls(settings, store, clock)

    async def close(self) -> None:
        await self.store.engine.dispose()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def http_client(
        self,
        report: SyncReport | None,
        api: str,
        *,
        on_response: Callable[[httpx.Response], Awaitable[None]] | None = None,
    ) -> httpx.AsyncClient:
        """One pooled HTTP client per API; requests are counted into ``report`` and
        responses handed to ``on_response`` (metrics), when given."""
        import httpx

        from zdcal.sync.report import RequestCounter

        hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
        if report is not None:
            hooks["request"].append(RequestCounter(report, api))
        if on_response is not None:
            hooks["response"].append(on_response)
        return httpx.AsyncClient(
            timeout=self.settings.http_timeout_seconds,
            event_hooks=hooks,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    def zendesk_client_for(
        self, base_url: str, auth: ZendeskAuth, http: httpx.AsyncClient
    ) -> ZendeskClient:
        """A client for credentials not stored yet (checking them before adding an account)."""
        from zdcal.zendesk import ZendeskClient

        return ZendeskClient(
            base_url, auth, http=http, clock=self.clock,
            timeout=self.settings.http_timeout_seconds,
        )

    @asynccontextmanager
    async def sync_session(
        self, account: Account, report: SyncReport
    ) -> AsyncIterator[AccountSync]:
        """An :class:`AccountSync` with its own HTTP pools, counting requests into ``report``."""

        async with (
            self.http_client(report, "zendesk") as zendesk_http,
            self.http_client(report, "cronofy") as cronofy_http,
        ):
            yield self.account_sync(account, zendesk_http, cronofy_http, report)

    def account_sync(
        self,
        account: Account,
        zendesk_http: httpx.AsyncClient,
        cronofy_http: httpx.AsyncClient,
        report: SyncReport | None = None,
    ) -> AccountSync:
        """An :class:`AccountSync` for ``account`` on the given HTTP pools."""
        from zdcal.sync.engine import AccountSync

        return AccountSync(
            self.store,
            account,
            self.zendesk_client(account, zendesk_http),
            self.calendar_connector(cronofy_http),
            self.clock,
            report,
            public_url=self.settings.public_url,
        )

    def zendesk_client(self, account: Account, http: httpx.AsyncClient) -> ZendeskClient:
        """A client for one account that stores rotated OAuth tokens as soon as they come."""
        from zdcal.zendesk import ZendeskClient


        async def store_tokens(tokens: OAuthTokens) -> None:
            current = account.credentials
            if not isinstance(current, ZendeskOAuth):
                return
            async with self.store.transaction() as tx:
                await tx.accounts.set_oauth_tokens(
                    account.id,
                    access_token=tokens.access_token,
                    refresh_token=tokens.refresh_token or current.refresh_token,
                    expires_at=tokens.expires_at,
                )

        return ZendeskClient(
            account.base_url, zendesk_auth(account), http=http, on_tokens=store_tokens,
            clock=self.clock, timeout=self.settings.http_timeout_seconds,
        )

    def calendar_connector(self, http: httpx.AsyncClient) -> CronofyConnector:
        from zdcal.sync.connector import CronofyConnector

        return CronofyConnector(
            self.store,
            api_base_url=self.settings.cronofy_api_url,
            client_id=self.settings.cronofy_client_id,
            client_secret=self.settings.cronofy_client_secret.get_secret_value(),
            http=http,
            limiter=self.cronofy_limiter,
            clock=self.clock,
        )
