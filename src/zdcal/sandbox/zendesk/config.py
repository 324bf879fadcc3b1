"""How one simulated Zendesk account is set up (the knobs tests, benches and the demo turn)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.faults import Faults


@dataclass
class ZendeskSimConfig:
    """Settings of one simulated Zendesk Support account.

    ``seed`` is the ``zendesk`` section of a scenario (users, tickets, OAuth clients,
    webhooks, trigger categories); ``None`` loads the documented default seed.
    """

    subdomain: str = "sandbox"
    time_zone: str = "Etc/UTC"  # IANA; what GET /api/v2/account/settings reports
    account_id: int = 9_000_001
    requests_per_minute: int = 700
    incremental_exports_per_minute: int = 10
    search_exports_per_minute: int = 100
    search_index_lag_seconds: float = 0.0
    access_token_ttl_seconds: int = 1800
    webhook_timeout_seconds: float = 12.0
    webhook_max_attempts: int = 3
    faults: Faults = field(default_factory=Faults)
    clock_offset: float = 0.0
    seed: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"time_zone {self.time_zone!r} is not an IANA time zone") from exc
