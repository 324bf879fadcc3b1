"""Google's per-minute quotas: one budget per user and one for the project (sliding windows)."""

from __future__ import annotations

from zdcal.clock import Clock
from zdcal.sandbox.google import assumptions
from zdcal.sandbox.google.errors import GoogleApiError
from zdcal.sandbox.rate_limit import ApplicationRateLimiter


def _per_minute(limit: int, clock: Clock) -> ApplicationRateLimiter:
    # A per-second budget as large as the minute's never binds first: a minute window alone.
    return ApplicationRateLimiter(limit, limit, clock)


class Quotas:
    """Counts authenticated API calls; a refused call costs nothing."""

    def __init__(self, per_user: int, per_project: int, status: int, clock: Clock) -> None:
        self.per_user = per_user
        self.status = status
        self.clock = clock
        self.project = _per_minute(per_project, clock)
        self.users: dict[str, ApplicationRateLimiter] = {}

    def admit(self, email: str) -> None:
        """Count one call of ``email``'s, or raise Google's usage-limit error."""
        user = self.users.setdefault(email, _per_minute(self.per_user, self.clock))
        if not user.admit():
            raise GoogleApiError(self.status, "userRateLimitExceeded",
                                 assumptions.USER_RATE_LIMIT_MESSAGE, domain="usageLimits")
        if not self.project.admit():
            raise GoogleApiError(self.status, "rateLimitExceeded",
                                 assumptions.RATE_LIMIT_MESSAGE, domain="usageLimits")
