"""A faithful local Microsoft Graph calendar API (plus the identity platform's OAuth endpoints)
for tests and demos."""

from zdcal.sandbox.microsoft.app import create_app
from zdcal.sandbox.microsoft.config import MicrosoftSimConfig, SeedCalendar, SeedUser

__all__ = ["MicrosoftSimConfig", "SeedCalendar", "SeedUser", "create_app"]
