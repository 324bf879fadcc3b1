"""Prometheus metrics of one zdcal process (its own registry: no global state)."""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from zdcal.http.budgets import WorkClass, current_work
from zdcal.sync.report import SyncReport


class Metrics:
    """Every metric ``/metrics`` exposes."""

    def __init__(self, *, tier: str = "all") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # target_info{tier="web"|"worker"|"all"}: which tier's process these series are.
        self.registry.set_target_info({"tier": tier})
        self.webhooks = Counter(
            "zdcal_webhooks",
            "Webhook deliveries received (receiver zendesk or cronofy), by outcome and reason.",
            ["receiver", "outcome", "reason"], registry=self.registry,
        )
        self.queue_depth = Gauge(
            "zdcal_queue_depth", "Notified tickets waiting for the worker.",
            registry=self.registry,
        )
        self.sync_lag = Gauge(
            "zdcal_sync_lag_seconds", "Seconds since the account's change feed was last read.",
            ["account"], registry=self.registry,
        )
        self.api_requests = Counter(
            "zdcal_api_requests",
            "Requests to Zendesk and the calendar API, by status and work class.",
            ["api", "status", "work"], registry=self.registry,
        )
        self.events = Counter(
            "zdcal_calendar_events", "Calendar events written, by action.",
            ["action"], registry=self.registry,
        )
        self.budget_waits = Counter(
            "zdcal_budget_waits",
            "Requests that waited for an API budget, by scope family and work class.",
            ["scope", "work"], registry=self.registry,
        )
        self.budget_wait_seconds = Counter(
            "zdcal_budget_wait_seconds",
            "Seconds requests waited for an API budget, by scope family and work class.",
            ["scope", "work"], registry=self.registry,
        )

    def budget_waited(self, scope: str, work: WorkClass, seconds: float) -> None:
        """A request waited ``seconds`` for the budget of ``scope`` (its family)."""
        self.budget_waits.labels(scope, work.value).inc()
        self.budget_wait_seconds.labels(scope, work.value).inc(seconds)

    def count_response(self, api: str) -> ResponseCounter:
        return ResponseCounter(self, api)

    def add_report(self, report: SyncReport) -> None:
        """Add what one unit of sync work did."""
        for action, value in (
            ("created", report.events_created),
            ("updated", report.events_updated),
            ("deleted", report.events_deleted),
            ("failed", report.events_failed),
        ):
            if value:
                self.events.labels(action).inc(value)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class ResponseCounter:
    """An httpx response hook counting responses of one API by status."""

    def __init__(self, metrics: Metrics, api: str) -> None:
        self._metrics = metrics
        self._api = api

    async def __call__(self, response: httpx.Response) -> None:
        self._metrics.api_requests.labels(
            self._api, str(response.status_code), current_work().kind.value
        ).inc()
