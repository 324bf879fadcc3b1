"""The composition root: settings in, a store and API clients wired together out.

Everything that needs configuration gets it from here, so there is one place that reads
the settings and one place that decides which URL, key and limiter each part uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from zdcal.clock import Clock, SystemClock
from zdcal.closing import AsyncClosing
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
    import ssl

    import httpx

    from zdcal.calendars.base import CalendarBackend
    from zdcal.calendars.registry import CalendarBackends
    from zdcal.http.budgets import Budgets, RateBudget
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
class Runtime(AsyncClosing):
    """A migrated store plus factories for API clients. Use as ``async with``."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    calendar_limiters: dict[str, RateBudget] = field(default_factory=dict)
    """Each calendar backend's application budget, by backend name
    (see :meth:`calendar_limiter`)."""

    @cached_property
    def budgets(self) -> Budgets:
        """The API budgets: in the database on PostgreSQL, where every process of the
        cluster shares them; in memory on SQLite (one process, no write per API call).

        They count real seconds, as the remote services do, whatever the runtime's clock
        says (a demo's or a test's clock may be moved or stopped)."""
        from zdcal.http.budgets import Budgets, MemoryLedger
        from zdcal.store.rate_budgets import SqlLedger

        shared = self.store.engine.dialect.name == "postgresql"
        ledger = SqlLedger(self.store.engine) if shared else MemoryLedger()
        return Budgets(ledger, clock=SystemClock())

    def calendar_limiter(self, backend: str) -> RateBudget:
        """A calendar service's limits are per application: one budget per backend,
        shared by the cluster (made when first needed: commands that call no API never
        load a backend)."""
        if backend not in self.calendar_limiters:
            from zdcal.calendars.registry import kind

            self.calendar_limiters[backend] = kind(backend).application_budget(
                self.budgets, self.settings
            )
        return self.calendar_limiters[backend]

    @cached_property
    def calendar_apis(self) -> list[str]:
        """The calendar backends' names: each one's HTTP pool is labelled with it."""
        from zdcal.calendars.registry import names

        return names()

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        """Migrate the database if needed and open the store."""
        private_directory(settings.data_dir)
        vault = vault_for(settings)
        await upgrade(settings.database_url)
        clock = clock or SystemClock()
        store = Store(create_engine(settings.database_url), vault, clock)
        return cls(settings, store, clock)

    async def aclose(self) -> None:
        await self.store.engine.dispose()

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
            verify=self._trusted(api),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    def _trusted(self, api: str) -> ssl.SSLContext | bool:
        """What an API's pool trusts: the usual authorities; for CalDAV (servers of any
        agent's choosing, some self-hosted) also ``caldav_ca_file``."""
        if api != "caldav" or self.settings.caldav_ca_file is None:
            return True
        import ssl

        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
        context.load_verify_locations(cafile=str(self.settings.caldav_ca_file))
        return context

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
            self.calendar_http(report) as calendar_http,
        ):
            yield self.account_sync(account, zendesk_http, calendar_http, report)

    @asynccontextmanager
    async def calendar_http(
        self, report: SyncReport | None = None
    ) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
        """One HTTP pool per calendar backend, by name, closed on leaving."""
        async with AsyncExitStack() as stack:
            yield {
                name: await stack.enter_async_context(self.http_client(report, name))
                for name in self.calendar_apis
            }

    def account_sync(
        self,
        account: Account,
        zendesk_http: httpx.AsyncClient,
        calendar_http: Mapping[str, httpx.AsyncClient],
        report: SyncReport | None = None,
    ) -> AccountSync:
        """An :class:`AccountSync` for ``account`` on the given HTTP pools."""
        from zdcal.sync.engine import AccountSync

        return AccountSync(
            self.store,
            account,
            self.zendesk_client(account, zendesk_http),
            self.calendar_backends(calendar_http),
            self.clock,
            report,
            public_url=self.settings.public_url,
        )

    def zendesk_client(self, account: Account, http: httpx.AsyncClient) -> ZendeskClient:
        """A client for one account that stores rotated OAuth tokens as soon as they come,
        paced by the account's budget (its plan's limit, once Zendesk reported it)."""
        from zdcal.http.budgets import scope_of
        from zdcal.http.pacing import Rate
        from zdcal.zendesk import (
            INCREMENTAL_EXPORTS_PER_MINUTE,
            ZENDESK_DEFAULT_REQUESTS_PER_MINUTE,
            ZendeskClient,
        )


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
            budget=self.budgets.rate(
                scope_of("zendesk:account", str(account.id)),
                (Rate(ZENDESK_DEFAULT_REQUESTS_PER_MINUTE, 60.0),),
            ),
            export_budget=self.budgets.rate(
                scope_of("zendesk:incremental-exports", str(account.id)),
                (Rate(INCREMENTAL_EXPORTS_PER_MINUTE, 60.0),),
            ),
            clock=self.clock, timeout=self.settings.http_timeout_seconds,
        )

    def calendar_backends(self, http: Mapping[str, httpx.AsyncClient]) -> CalendarBackends:
        """Every calendar backend on the given pools (by backend name), built one way: the
        cluster's budgets, refreshes coordinated through the store."""
        from zdcal.calendars.registry import backends
        from zdcal.sync.token_refresh import AgentTokenRefresh

        return backends(
            self.settings, http, self.calendar_limiter, self.budgets, self.clock,
            lambda agent_id: AgentTokenRefresh(self.store, agent_id),
        )

    def calendar_backend(
        self, name: str, http: Mapping[str, httpx.AsyncClient]
    ) -> CalendarBackend:
        """The backend called ``name`` on the given pools."""
        return self.calendar_backends(http).backend(name)
