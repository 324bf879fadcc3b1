"""A faithful local Google Calendar API v3 (plus Google's OAuth endpoints) for tests and demos."""

from zdcal.sandbox.google.app import create_app
from zdcal.sandbox.google.config import GoogleSimConfig, SeedCalendar, SeedUser

__all__ = ["GoogleSimConfig", "SeedCalendar", "SeedUser", "create_app"]
