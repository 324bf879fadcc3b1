"""A faithful local simulator of the Cronofy API, its OAuth pages and a control API.

    from zdcal.sandbox.cronofy import CronofySimConfig, create_app
    app = create_app(CronofySimConfig())

See docs/sandbox-cronofy.md for the routes, default credentials and assumptions.
"""

from zdcal.sandbox.cronofy.app import create_app
from zdcal.sandbox.cronofy.config import CronofySimConfig

__all__ = ["CronofySimConfig", "create_app"]
