"""How a Cronofy simulator is started: credentials, limits, faults and its first seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.behaviour import Behaviour
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
    refresh_token_mode: str = assumptions.REFRESH_TOKEN_MODE_DEFAULT
    """``rotate`` (a new refresh token each time, the old one dead at once) or ``same``."""
    last_page_next_page: str = assumptions.LAST_PAGE_NEXT_PAGE_DEFAULT
    """The last page of read events: ``absent`` (no ``next_page``) or ``empty`` (``""``)."""
    additional_client_secrets: list[str] = field(default_factory=list)
    """Other active client secrets: each adds a signature to push notifications."""

    def __post_init__(self) -> None:
        self.behaviour()  # refuse bad knobs at start, not at the first request

    def behaviour(self) -> Behaviour:
        """The behaviour knobs this simulator starts (and resets) with."""
        return Behaviour(
            refresh_token_mode=self.refresh_token_mode,
            last_page_next_page=self.last_page_next_page,
            additional_client_secrets=list(self.additional_client_secrets),
        )
