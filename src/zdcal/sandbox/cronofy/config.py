"""How a Cronofy simulator is started: credentials, limits, faults and its first seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.faults import Faults


@dataclass
class CronofySimConfig:
    """Everything :func:`zdcal.sandbox.cronofy.create_app` needs; every field has a default."""

    client_id: str = "zdcal-sandbox"
    client_secret: str = "zdcal-sandbox-secret"  # noqa: S105 - documented sandbox credential
    access_token_ttl_seconds: int = 3600
    authorization_code_ttl_seconds: int = assumptions.AUTHORIZATION_CODE_TTL_SECONDS
    requests_per_second: int = 50
    requests_per_minute: int = 500
    faults: Faults = field(default_factory=Faults)
    seed: dict[str, Any] | None = None
    """The body of ``POST /_sandbox/seed`` applied at start and on reset; None: the default."""
    page_size: int = assumptions.READ_EVENTS_PAGE_SIZE
    """Events per page of ``GET /v1/events``."""
    notification_timeout_seconds: float = 5.0
