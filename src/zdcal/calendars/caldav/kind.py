"""CalDAV's registration: how the registry builds it from the settings."""

from __future__ import annotations

from zdcal.calendars.base import Connection
from zdcal.calendars.caldav.connector import CalDAVBackend
from zdcal.calendars.registry import BackendWiring
from zdcal.http.budgets import Budgets, RateBudget
from zdcal.http.pacing import Rate
from zdcal.settings import Settings

CALDAV_RATES = (Rate(100, 1.0),)
"""A ceiling for the whole cluster, not a provider's published limit: agents' accounts
may be on different servers (each one's 429/503 and Retry-After are honoured per
request), but zdcal should not flood a shared one (iCloud, Fastmail)."""


class CalDAVKind:
    name = "caldav"
    connection = Connection.CREDENTIALS

    def configured(self, settings: Settings) -> bool:
        return True  # nothing to register: each agent brings their own server

    def application_budget(self, budgets: Budgets, settings: Settings) -> RateBudget:
        return budgets.rate("caldav:app", CALDAV_RATES)

    def build(self, wiring: BackendWiring) -> CalDAVBackend:
        return CalDAVBackend(http=wiring.http, limiter=wiring.limiter, clock=wiring.clock)


CALDAV = CalDAVKind()
