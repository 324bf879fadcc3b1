"""Microsoft 365's registration: how the registry builds it from the settings."""

from __future__ import annotations

from zdcal.calendars.base import Connection
from zdcal.calendars.microsoft.connector import MicrosoftBackend
from zdcal.calendars.microsoft.oauth import MicrosoftOAuthClient
from zdcal.calendars.registry import BackendWiring
from zdcal.http.budgets import Budgets, RateBudget
from zdcal.http.pacing import Rate
from zdcal.settings import Settings

APPLICATION_REQUESTS_PER_SECOND = 2000
"""Graph's global limit per app across all tenants (2,000 requests a second): far above
what one zdcal sends; the per-mailbox limits (:mod:`.mailbox`) are the ones that bind."""


class MicrosoftKind:
    name = "microsoft"
    connection = Connection.OAUTH

    def configured(self, settings: Settings) -> bool:
        return bool(
            settings.microsoft_client_id
            and settings.microsoft_client_secret.get_secret_value()
        )

    def application_budget(self, budgets: Budgets, settings: Settings) -> RateBudget:
        return budgets.rate("microsoft:app", (Rate(APPLICATION_REQUESTS_PER_SECOND, 1.0),))

    def build(self, wiring: BackendWiring) -> MicrosoftBackend:
        settings = wiring.settings
        return MicrosoftBackend(
            graph_url=settings.microsoft_graph_url,
            oauth=MicrosoftOAuthClient(
                client_id=settings.microsoft_client_id,
                client_secret=settings.microsoft_client_secret.get_secret_value(),
                login_url=settings.microsoft_login_url,
                tenant=settings.microsoft_tenant,
            ),
            http=wiring.http,
            limiter=wiring.limiter,
            budgets=wiring.budgets,
            clock=wiring.clock,
            requests_per_window_per_mailbox=(
                settings.microsoft_requests_per_10_minutes_per_mailbox
            ),
            coordinate_refresh=wiring.coordinate_refresh,
        )


MICROSOFT = MicrosoftKind()
