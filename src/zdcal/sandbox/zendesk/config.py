"""How one simulated Zendesk account is set up (the knobs tests, benches and the demo turn)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zdcal.sandbox.faults import Faults
from zdcal.sandbox.zendesk.assumptions import LIST_MAX_PAGE_SIZE


@dataclass
class ZendeskSimConfig:
    """Settings of one simulated Zendesk Support account.

    ``seed`` is the ``zendesk`` section of a scenario (users, tickets, OAuth clients,
    webhooks, trigger categories); ``None`` loads the documented default seed.
    ``zero_generated_timestamp`` sends ``generated_timestamp: 0`` in tickets outside the
    incremental export (as one recorded create did) instead of leaving the field out.
    """

    subdomain: str = "sandbox"
    time_zone: str = "Etc/UTC"  # IANA; what GET /api/v2/account/settings reports
    account_id: int = 9_000_001
    requests_per_minute: int = 700
    incremental_exports_per_minute: int = 10
    search_exports_per_minute: int = 100
    webhooks_requests_per_minute: int = 100
    max_list_page_size: int = LIST_MAX_PAGE_SIZE
    search_index_lag_seconds: float = 0.0
    access_token_ttl_seconds: int = 1800
    webhook_timeout_seconds: float = 12.0
    webhook_max_attempts: int = 3
    faults: Faults = field(default_factory=Faults)
    clock_offset: float = 0.0
    zero_generated_timestamp: bool = False
    seed: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"time_zone {self.time_zone!r} is not an IANA time zone") from exc
