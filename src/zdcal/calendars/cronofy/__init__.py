"""Cronofy: a thin async API client for one linked account, OAuth helpers and
push-notification signatures."""

from zdcal.calendars.cronofy.client import BATCH_LIMIT, CronofyClient
from zdcal.calendars.cronofy.errors import (
    BatchTooLarge,
    CronofyError,
    Forbidden,
    Invalid,
    Locked,
    NotFound,
    RateLimited,
    ServerError,
    TokenRefreshBusy,
    TokenRefreshFailed,
    Unauthorized,
    Unreachable,
)
from zdcal.calendars.cronofy.models import (
    Account,
    BatchEntry,
    BatchEntryResult,
    Calendar,
    Channel,
    CronofyTokens,
    Event,
    UserInfo,
)
from zdcal.calendars.cronofy.transport import CRONOFY_RATES, application_rate_limiter

__all__ = [
    "BATCH_LIMIT",
    "CRONOFY_RATES",
    "Account",
    "BatchEntry",
    "BatchEntryResult",
    "BatchTooLarge",
    "Calendar",
    "Channel",
    "CronofyClient",
    "CronofyError",
    "CronofyTokens",
    "Event",
    "Forbidden",
    "Invalid",
    "Locked",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TokenRefreshBusy",
    "TokenRefreshFailed",
    "Unauthorized",
    "Unreachable",
    "UserInfo",
    "application_rate_limiter",
]
