"""What the web app, the worker and the scheduler share in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from zdcal.live.locks import AccountLocks
from zdcal.live.metrics import Metrics
from zdcal.runtime import Runtime
from zdcal.store import Account, AccountNotFound
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport


class Services:
    """A runtime, pooled HTTP clients per API, account locks and metrics.

    Every piece of work on an account goes through :meth:`account_work`, which holds
    the account's lock: one account's work never runs twice at once.
    """

    def __init__(
        self, runtime: Runtime, *, metrics: Metrics | None = None, tier: str = "all"
    ) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.store = runtime.store
        self.clock = runtime.clock
        self.metrics = metrics or Metrics(tier=tier)
        runtime.budgets.on_wait = self.metrics.budget_waited
        self.locks = AccountLocks(runtime.store)
        self.zendesk_http = self._http("zendesk")
        self.calendar_http = {name: self._http(name) for name in runtime.calendar_apis}
        self.calendars = runtime.calendar_backends(self.calendar_http)
        """Every calendar backend on the shared pools."""

    def _http(self, api: str) -> httpx.AsyncClient:
        return self.runtime.http_client(None, api, on_response=self.metrics.count_response(api))

    async def close(self) -> None:
        await self.zendesk_http.aclose()
        for http in self.calendar_http.values():
            await http.aclose()

    def account_sync(self, account: Account, report: SyncReport | None = None) -> AccountSync:
        """An :class:`AccountSync` on the shared clients. Hold the lock to use it for writes."""
        return self.runtime.account_sync(account, self.zendesk_http, self.calendar_http, report)

    @asynccontextmanager
    async def account_work(
        self, account_id: int, *, wait: float = 30.0, report: SyncReport | None = None
    ) -> AsyncIterator[AccountSync]:
        """Hold the account's lock and give an :class:`AccountSync` for it.

        Raises :class:`zdcal.live.locks.AccountBusy` if another process keeps it longer
        than ``wait`` seconds, :class:`AccountNotFound` if the account is gone.
        """
        report = report if report is not None else SyncReport()
        async with self.locks.hold(account_id, wait=wait):
            async with self.store.transaction() as tx:
                account = await tx.accounts.get(account_id)
            if account is None:
                raise AccountNotFound(f"no account {account_id}")
            try:
                yield self.account_sync(account, report)
            finally:
                self.metrics.add_report(report)
