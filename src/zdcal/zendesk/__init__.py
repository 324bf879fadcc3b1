"""Zendesk Support: a thin async API client, OAuth helpers and webhook signatures."""

from zdcal.zendesk.auth import ApiTokenAuth, OAuthAuth, OAuthTokens, ZendeskAuth
from zdcal.zendesk.client import ZendeskClient
from zdcal.zendesk.errors import (
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    ServerError,
    TokenRefreshFailed,
    Unauthorized,
    Unreachable,
    ZendeskError,
)
from zdcal.zendesk.models import (
    IncrementalPage,
    RateLimitStatus,
    SearchExportPage,
    SearchPage,
    SigningSecret,
    Ticket,
    Trigger,
    TriggerCategory,
    User,
    Webhook,
)
from zdcal.zendesk.transport import (
    INCREMENTAL_EXPORTS_PER_MINUTE,
    ZENDESK_DEFAULT_REQUESTS_PER_MINUTE,
)

__all__ = [
    "INCREMENTAL_EXPORTS_PER_MINUTE",
    "ZENDESK_DEFAULT_REQUESTS_PER_MINUTE",
    "ApiTokenAuth",
    "Forbidden",
    "IncrementalPage",
    "Invalid",
    "NotFound",
    "OAuthAuth",
    "OAuthTokens",
    "RateLimitStatus",
    "RateLimited",
    "SearchExportPage",
    "SearchPage",
    "ServerError",
    "SigningSecret",
    "Ticket",
    "TokenRefreshFailed",
    "Trigger",
    "TriggerCategory",
    "Unauthorized",
    "Unreachable",
    "User",
    "Webhook",
    "ZendeskAuth",
    "ZendeskClient",
    "ZendeskError",
]
