"""A faithful local Google Calendar API v3 (plus Google's OAuth endpoints) for tests and demos.

Run it on loopback::

    from zdcal.sandbox.google import GoogleSimConfig, create_app
    from zdcal.sandbox.server import ServerThread

    with ServerThread(create_app(GoogleSimConfig())) as google:
        google.base_url  # API at /calendar/v3/, batch at /batch/calendar/v3

or with the other simulators: ``Sandbox.create(scenario, google=True)``
(``zdcal.sandbox.runner``; ``sandbox.google.base_url``). A browser can walk the consent page
``<base_url>/o/oauth2/v2/auth?client_id=...&redirect_uri=...&response_type=code&scope=...``
(choose an account, see the scopes); the token endpoint is ``<base_url>/token``. Tests and
benchmarks steer it under ``/_sandbox`` (users and token pairs without the consent page,
quotas, faults, clock, channels, push log, request stats): docs/sandbox.md, "Google Calendar
simulator". Every guess it makes is in ``assumptions.py``.
"""

from zdcal.sandbox.google.app import create_app
from zdcal.sandbox.google.config import GoogleSimConfig, SeedCalendar, SeedUser

__all__ = ["GoogleSimConfig", "SeedCalendar", "SeedUser", "create_app"]
