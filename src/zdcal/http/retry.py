"""When to send a request again, how long to wait first, and when to give up.

Rules (one policy for every remote API):

* **429** is retried for every request, idempotent or not: the server refused it before
  doing anything. We wait ``Retry-After`` (seconds or an HTTP date) when given, else
  ``ratelimit-reset`` (seconds), else exponential backoff with jitter.
* **5xx** (except 501), **timeouts** and **broken connections** are retried only for
  idempotent requests, because the server may already have acted on the first attempt.
* **Connection failures** (nothing reached the server: connect errors, connect and pool
  timeouts) are retried for every request, since the request provably never left us.
* A vendor's own "slow down" that is not a 429 (Google's 403 ``rateLimitExceeded``) is
  retried like a 429 when the client says so (``slow_down``).
* Everything is bounded by ``max_attempts`` and by ``max_total_wait`` seconds of sleeping.

:func:`send` returns the final response, whatever its status, or raises the last
``httpx.TransportError``; each client turns that into its own typed error.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from zdcal.clock import Clock, SystemClock
from zdcal.http.pacing import Pacer

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

SlowDown = Callable[[httpx.Response], bool]
"""Whether a response that is not a 429 still says "slow down" (a vendor's own way)."""

# Failures where the request certainly never reached the server: safe to repeat for any method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after the request may have been received: only an idempotent request may repeat.
_MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How persistently to retry. Delays are seconds; ``jitter`` is the randomized share.

    ``jitter=1.0`` is "full jitter" (a uniform wait between 0 and the backoff step), which
    spreads out clients that failed together; ``0.0`` waits the exact exponential step.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 60.0
    jitter: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total_wait < 0:
            raise ValueError("delays must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """The wait before retry ``retry_number`` (0 for the first retry), jitter applied."""
        step = min(self.max_delay, self.base_delay * (2.0**retry_number))
        fixed = step * (1.0 - self.jitter)
        return fixed + rng.uniform(0.0, step * self.jitter)


NO_RETRY = RetryPolicy(max_attempts=1)
"""Send once; used where a repeat could do harm and for tests of first-failure behaviour."""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date), if valid."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _server_requested_wait(response: httpx.Response, now: datetime) -> float | None:
    """What the server asked us to wait: ``Retry-After`` first, then ``ratelimit-reset``."""
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    if response.status_code == 429:
        # ratelimit-reset (IETF RateLimit header draft, sent by Zendesk) is delta seconds.
        return parse_retry_after(response.headers.get("ratelimit-reset"), now)
    return None


def is_retryable_status(status: int, *, idempotent: bool) -> bool:
    """True when a response with this status may be answered by sending again."""
    if status == 429:
        return True
    return idempotent and status >= 500 and status != 501


def is_tls_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a failed TLS handshake (an untrusted or mismatched
    certificate): never retried, since it will not pass a second later either."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    policy: RetryPolicy,
    idempotent: bool,
    limiter: Pacer | None = None,
    weight: int = 1,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    slow_down: SlowDown | None = None,
) -> httpx.Response:
    """Send ``request``, retrying per ``policy``; return the final response.

    Raises the last ``httpx.TransportError`` when no attempt produced a response (at
    once for a failed TLS handshake: :func:`is_tls_failure`). A
    retryable status that outlasts the policy is returned as is, for the caller to map.
    ``limiter`` (if any) is awaited before every attempt, retries included, for
    ``weight`` sends (what the service counts the request as). A response
    ``slow_down`` recognises is retried like a 429.
    """
    rng = rng or random.Random()
    clock = clock or SystemClock()
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        if limiter is not None:
            await limiter.acquire(weight)
        try:
            response = await client.send(request)
        except httpx.TransportError as exc:
            retry_allowed = not is_tls_failure(exc) and (
                isinstance(exc, _NOT_SENT) or (idempotent and isinstance(exc, _MAYBE_SENT))
            )
            remaining = policy.max_total_wait - waited
            if not retry_allowed or attempt >= policy.max_attempts or remaining <= 0:
                raise
            delay = min(policy.backoff(attempt - 1, rng), remaining)
            log.info(
                "retrying %s %s after %s (attempt %d, waiting %.2fs)",
                request.method,
                request.url.path,
                type(exc).__name__,
                attempt,
                delay,
            )
            await sleep(delay)
            waited += delay
            continue

        slowed = slow_down is not None and slow_down(response)
        if not slowed and not is_retryable_status(response.status_code, idempotent=idempotent):
            return response
        if attempt >= policy.max_attempts:
            return response
        remaining = policy.max_total_wait - waited
        requested = _server_requested_wait(response, clock.now())
        if requested is not None:
            if requested > remaining:
                # Waiting less than the server asked is pointless; let the caller decide.
                return response
            delay = requested
        elif remaining <= 0:
            return response
        else:
            delay = min(policy.backoff(attempt - 1, rng), remaining)
        await response.aclose()
        log.info(
            "retrying %s %s after HTTP %d (attempt %d, waiting %.2fs)",
            request.method,
            request.url.path,
            response.status_code,
            attempt,
            delay,
        )
        await sleep(delay)
        waited += delay


class RetryRounds:
    """The policy applied to the parts of a batch request (Google's batches, Graph's
    ``$batch``): each part fails alone, so the parts that may pass later are sent again
    together, in rounds, under the same bounds as :func:`send` (``max_attempts`` rounds,
    ``max_total_wait`` seconds of sleeping)."""

    def __init__(self, policy: RetryPolicy, sleep: Sleep, rng: random.Random | None) -> None:
        self._policy = policy
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rounds = 0
        self._waited = 0.0

    async def again(self, requested: float | None = None) -> bool:
        """Before another round: wait ``requested`` seconds (the longest ``Retry-After``
        the parts carry) or else the policy's backoff, and answer True; False (no wait)
        when the policy is spent or the service asks for longer than it has left."""
        self._rounds += 1
        remaining = self._policy.max_total_wait - self._waited
        if requested is None:
            delay = min(self._policy.backoff(self._rounds - 1, self._rng), remaining)
            if delay <= 0:
                return False
        else:
            delay = requested
        if self._rounds >= self._policy.max_attempts or delay > remaining:
            return False
        await self._sleep(delay)
        self._waited += delay
        return True
