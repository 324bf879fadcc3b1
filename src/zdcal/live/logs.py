"""Structured JSON logs for the service, with a last line of defence against secrets.

zdcal never logs tokens, secrets or ticket bodies on purpose; the redaction filter
catches what a library might print anyway (Authorization headers, token parameters).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SECRETS = re.compile(
    r"(?i)(bearer\s+|basic\s+|(?:access_token|refresh_token|client_secret|token|secret|code)"
    r"[\"']?\s*[=:]\s*[\"']?)([A-Za-z0-9._~+/=-]{6,})"
)
# A calendar subscription's URL is its credential (``/ics/<token>.ics``).
_FEED_TOKENS = re.compile(r"(/ics/)[^/\s\"'?#]+")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Replace what looks like a credential with ``[redacted]``."""
    text = _FEED_TOKENS.sub(r"\1[redacted]", text)
    return _SECRETS.sub(lambda m: m.group(1) + "[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = redact(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send every log record to stderr, JSON or text, redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json"
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; URLs can carry OAuth codes.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass
class _Quiet:
    logged_at: float
    held_back: int = 0


class RateLimitedLog:
    """At most one line per kind of event per ``every`` seconds.

    The first event of a kind is logged at once; the next ones within ``every`` seconds
    are only counted, and the next line of that kind says how many were held back. A
    flood of refused requests so costs a few lines, not one per request (metrics count
    every one).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        max_kinds: int = 1000,
    ) -> None:
        self._logger = logger
        self._every = every
        self._monotonic = monotonic
        self._max_kinds = max_kinds
        self._kinds: dict[Hashable, _Quiet] = {}

    def warning(self, kind: Hashable, message: str, **extra: Any) -> None:
        """Log ``message`` (no ``%`` arguments: it is logged as is) unless a line of
        ``kind`` was logged less than ``every`` seconds ago."""
        now = self._monotonic()
        quiet = self._kinds.get(kind)
        if quiet is not None and now - quiet.logged_at < self._every:
            quiet.held_back += 1
            return
        held_back, since = (quiet.held_back, now - quiet.logged_at) if quiet else (0, 0.0)
        if quiet is None and len(self._kinds) >= self._max_kinds:
            self._kinds.clear()  # bounded memory; at worst a few extra lines
        self._kinds[kind] = _Quiet(now)
        if held_back:
            message = f"{message} ({held_back} more like it in the last {since:.0f} s not logged)"
        self._logger.warning("%s", message, extra={**extra, "held_back": held_back})
