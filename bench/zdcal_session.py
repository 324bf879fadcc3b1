"""zdcal's engine wired for a benchmark: the runtime's parts, plus an optional observer
called after every export page (to sample CPU and memory as the sweep goes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from zdcal.http.budgets import Budgets, RateBudget
from zdcal.http.pacing import Rate
from zdcal.runtime import Runtime, zendesk_auth
from zdcal.store import Account
from zdcal.sync.engine import AccountSync
from zdcal.sync.report import SyncReport
from zdcal.zendesk import ZendeskClient
from zdcal.zendesk.models import IncrementalPage, SearchExportPage

PageObserver = Callable[[IncrementalPage | SearchExportPage], None]


def unlimited_cronofy_limiter() -> RateBudget:
    """For benchmarks that count requests or CPU, not time: no client-side pacing."""
    return Budgets.local().rate("cronofy:app", [Rate(requests=1_000_000_000, per_seconds=1.0)])


class ObservedZendeskClient(ZendeskClient):
    """A Zendesk client that reports every export page (incremental or search) it returns."""

    def __init__(self, *args: Any, on_page: PageObserver, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_page = on_page

    async def incremental_tickets_page(
        self,
        *,
        start_time: int | datetime | None = None,
        cursor: str | None = None,
        per_page: int = 1000,
        exclude_deleted: bool = False,
    ) -> IncrementalPage:
        page = await super().incremental_tickets_page(
            start_time=start_time, cursor=cursor, per_page=per_page,
            exclude_deleted=exclude_deleted,
        )
        self._on_page(page)
        return page

    async def search_export(
        self, query: str, *, page_size: int = 1000
    ) -> AsyncIterator[SearchExportPage]:
        async for page in super().search_export(query, page_size=page_size):
            self._on_page(page)
            yield page


@asynccontextmanager
async def account_sync(
    runtime: Runtime,
    account: Account,
    report: SyncReport,
    *,
    on_page: PageObserver | None = None,
) -> AsyncIterator[AccountSync]:
    """Like ``Runtime.sync_session``, optionally observing export pages."""
    if on_page is None:
        async with runtime.sync_session(account, report) as sync:
            yield sync
        return
    async with (
        runtime.http_client(report, "zendesk") as zendesk_http,
        runtime.calendar_http(report) as calendar_http,
    ):
        zendesk = ObservedZendeskClient(
            account.base_url, zendesk_auth(account), http=zendesk_http, clock=runtime.clock,
            timeout=runtime.settings.http_timeout_seconds, on_page=on_page,
        )
        yield AccountSync(
            runtime.store, account, zendesk, runtime.calendar_backends(calendar_http),
            runtime.clock, report,
        )
