"""Refusing a webhook delivery: a short JSON reason, counted in metrics, logged sparingly.

A flood of forged or broken deliveries must not become a flood of log lines: each is
counted (``zdcal_webhooks{outcome="rejected"}``, by receiver and reason), and at most one
line per receiver and reason is logged per ``LOG_EVERY_SECONDS``, with the number held
back since the previous one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from zdcal.live.logs import RateLimitedLog
from zdcal.live.metrics import Metrics

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0


class WebhookRefusals:
    """Every receiver's way of answering a delivery it will not act on."""

    def __init__(self, metrics: Metrics, *, log_every: float = LOG_EVERY_SECONDS) -> None:
        self._metrics = metrics
        self._log = RateLimitedLog(log, every=log_every)

    def refuse(self, receiver: str, status: int, reason: str,
               headers: Mapping[str, str] | None = None) -> Response:
        """Count and (sparingly) log the refusal; the answer to send. ``reason`` must be
        one of a few fixed texts: it is a metrics label."""
        self._metrics.webhooks.labels(receiver, "rejected", reason).inc()
        self._log.warning((receiver, reason), f"{receiver} webhook rejected: {reason}",
                          receiver=receiver, reason=reason, status=status)
        return JSONResponse({"error": reason}, status_code=status, headers=headers)
