"""Google Calendar's registration: how the registry builds it from the settings."""

from __future__ import annotations

from zdcal.calendars.base import Connection
from zdcal.calendars.google.connector import PROJECT_SCOPE, GoogleBackend, quota_budget
from zdcal.calendars.google.oauth import GoogleOAuthClient
from zdcal.calendars.registry import BackendWiring
from zdcal.http.budgets import Budgets, RateBudget
from zdcal.http.pacing import Rate
from zdcal.settings import Settings


class GoogleKind:
    name = "google"
    connection = Connection.OAUTH

    def configured(self, settings: Settings) -> bool:
        return bool(settings.google_client_id and settings.google_client_secret.get_secret_value())

    def application_budget(self, budgets: Budgets, settings: Settings) -> RateBudget:
        """Google's per-project quota, for the whole cluster (the settings' figure;
        Google publishes 10,000 a minute)."""
        per_minute = settings.google_requests_per_minute_per_project
        return quota_budget(budgets, PROJECT_SCOPE, Rate(per_minute, 60.0))

    def build(self, wiring: BackendWiring) -> GoogleBackend:
        settings = wiring.settings
        return GoogleBackend(
            api_base_url=settings.google_api_url,
            oauth=GoogleOAuthClient(
                client_id=settings.google_client_id,
                client_secret=settings.google_client_secret.get_secret_value(),
                oauth_url=settings.google_oauth_url,
                token_url=settings.google_token_url,
                revoke_url=settings.google_revoke_url,
            ),
            http=wiring.http,
            limiter=wiring.limiter,
            budgets=wiring.budgets,
            clock=wiring.clock,
            requests_per_minute_per_user=settings.google_requests_per_minute_per_user,
            coordinate_refresh=wiring.coordinate_refresh,
        )


GOOGLE = GoogleKind()
