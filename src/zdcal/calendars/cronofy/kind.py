"""Cronofy's registration: how the registry builds it from the settings."""

from __future__ import annotations

from zdcal.calendars.base import Connection
from zdcal.calendars.cronofy.connector import CronofyBackend
from zdcal.calendars.cronofy.transport import application_rate_limiter
from zdcal.calendars.registry import BackendWiring
from zdcal.http.budgets import Budgets, RateBudget
from zdcal.http.pacing import Rate
from zdcal.settings import Settings


class CronofyKind:
    name = "cronofy"
    connection = Connection.OAUTH

    def configured(self, settings: Settings) -> bool:
        return bool(settings.cronofy_client_id)

    def application_budget(self, budgets: Budgets, settings: Settings) -> RateBudget:
        return application_rate_limiter(budgets, (
            Rate(settings.cronofy_requests_per_second, 1.0),
            Rate(settings.cronofy_requests_per_minute, 60.0),
        ))

    def build(self, wiring: BackendWiring) -> CronofyBackend:
        settings = wiring.settings
        return CronofyBackend(
            api_base_url=settings.cronofy_api_url,
            app_base_url=settings.cronofy_app_url,
            data_center=settings.cronofy_data_center,
            client_id=settings.cronofy_client_id,
            client_secret=settings.cronofy_client_secret.get_secret_value(),
            http=wiring.http,
            limiter=wiring.limiter,
            clock=wiring.clock,
            coordinate_refresh=wiring.coordinate_refresh,
        )


CRONOFY = CronofyKind()
