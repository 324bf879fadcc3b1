"""The account a simulator starts with when its scenario gives no ``zendesk`` section.

Documented in docs/sandbox-zendesk.md ("Default seed"); keep the two in step.
"""

from __future__ import annotations

from typing import Any

ADMIN_EMAIL = "admin@sandbox.example"
ADMIN_API_TOKEN = "sandbox-admin-token"  # noqa: S105 (public sandbox credential)
OAUTH_CLIENT_ID = "zdcal"
OAUTH_CLIENT_SECRET = "zdcal-sandbox-secret"  # noqa: S105 (public sandbox credential)


def default_seed() -> dict[str, Any]:
    """A fresh copy of the default scenario section."""
    return {
        "users": [
            {
                "id": 1001,
                "name": "Ada Admin",
                "email": ADMIN_EMAIL,
                "role": "admin",
                "iana_time_zone": "Europe/London",
                "api_token": ADMIN_API_TOKEN,
            },
            {
                "id": 1002,
                "name": "Nia Agent",
                "email": "nia@sandbox.example",
                "role": "agent",
                "iana_time_zone": "America/New_York",
                "api_token": "sandbox-nia-token",
            },
            {
                "id": 1003,
                "name": "Kenji Agent",
                "email": "kenji@sandbox.example",
                "role": "agent",
                "iana_time_zone": "Asia/Tokyo",
                "api_token": "sandbox-kenji-token",
            },
            {
                "id": 1004,
                "name": "Lena Agent",
                "email": "lena@sandbox.example",
                "role": "agent",
                "iana_time_zone": "Europe/Berlin",
                # Real accounts show time_zone either way; this one as the IANA id.
                "time_zone_style": "iana",
                "api_token": "sandbox-lena-token",
            },
            {
                "id": 1005,
                "name": "Sam Sydney",
                "email": "sam@sandbox.example",
                "role": "agent",
                "iana_time_zone": "Australia/Sydney",
                "api_token": "sandbox-sam-token",
            },
            {
                "id": 1100,
                "name": "Erin Enduser",
                "email": "erin@customer.example",
                "role": "end-user",
                "iana_time_zone": "Etc/UTC",
                "api_token": "sandbox-erin-token",
            },
        ],
        "tickets": [],
        "oauth_clients": [
            {
                "identifier": OAUTH_CLIENT_ID,
                "secret": OAUTH_CLIENT_SECRET,
                "name": "zdcal",
                "redirect_uris": [],
                "allow_loopback_redirects": True,
            },
        ],
        "trigger_categories": [{"name": "Notifications"}],
    }
