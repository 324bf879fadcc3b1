"""What every remote API client holds: one httpx client plus zdcal's one way to send.

Cronofy, Zendesk and CalDAV each add their own authentication and their own typed
errors; the pooled client, the retry policy, the pacing limiter and the injected time
(clock, sleep, randomness) are held and used here, once.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

import httpx

from zdcal import __version__
from zdcal.clock import Clock, SystemClock
from zdcal.closing import AsyncClosing
from zdcal.http.credentials import RefreshingCredential
from zdcal.http.pacing import Pacer
from zdcal.http.retry import RetryPolicy, Sleep, SlowDown, send

USER_AGENT = f"zdcal/{__version__}"

Credential = TypeVar("Credential")

TransportFailure = Callable[[httpx.TransportError, httpx.Request], Exception]
"""Turns a request that got no response into the vendor's own typed error."""


def unreachable_text(service: str, exc: httpx.TransportError, request: httpx.Request) -> str:
    """``Cronofy unreachable: ConnectError (GET /v1/calendars)``."""
    return f"{service} unreachable: {type(exc).__name__} ({request.method} {request.url.path})"


class HttpOptions(TypedDict, total=False):
    """How a client talks HTTP, as every API client's constructor accepts it.

    ``http``: a shared pool (else the client makes and closes its own, with ``timeout``
    seconds and ``verify`` for TLS); ``policy``: the retry policy (default
    :class:`RetryPolicy`); ``limiter``: pacing (none by default); ``clock``, ``sleep``,
    ``rng``: injected time and jitter, for tests.
    """

    http: httpx.AsyncClient | None
    verify: ssl.SSLContext | bool
    policy: RetryPolicy | None
    limiter: Pacer | None
    timeout: float
    clock: Clock | None
    sleep: Sleep
    rng: random.Random | None


class RemoteApi(AsyncClosing):
    """One remote API's HTTP: sends under the retry policy and the limiter, maps a
    failure to reach it with ``on_failure``. Owns the httpx client only if it made it.

    ``base_url`` (if given) is where :meth:`url` paths start and the only origin
    :meth:`same_origin` accepts: credentials go nowhere else. ``slow_down`` recognises
    the API's own "slow down" answers that are not 429s (retried like them).
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        on_failure: TransportFailure,
        slow_down: SlowDown | None = None,
        **options: Unpack[HttpOptions],
    ) -> None:
        self._slow_down = slow_down
        self.base_url = base_url.rstrip("/")
        self._origin = urlsplit(self.base_url)[:2]
        self._on_failure = on_failure
        http = options.get("http")
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=options.get("timeout", 20.0), verify=options.get("verify", True)
        )
        self.policy = options.get("policy") or RetryPolicy()
        self.limiter = options.get("limiter")
        self.clock = options.get("clock") or SystemClock()
        self.sleep = options.get("sleep", asyncio.sleep)
        self.rng = options.get("rng")

    async def aclose(self) -> None:
        """Close the httpx client if this object made it."""
        if self._owns_http:
            await self.http.aclose()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` is on our API's host (scheme and authority)."""
        return urlsplit(url)[:2] == self._origin

    async def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        weight: int = 1,
    ) -> httpx.Response:
        """Send one request (our User-Agent added) per :func:`zdcal.http.send`; return
        the final response, whatever its status, or raise ``on_failure``'s error.
        ``weight``: how many sends the limiter counts it as (a batch of calls)."""
        request = self.http.build_request(
            method,
            url,
            params=params,
            json=json,
            content=content,
            headers={**(headers or {}), "User-Agent": USER_AGENT},
        )
        try:
            return await send(
                self.http,
                request,
                policy=self.policy,
                idempotent=idempotent,
                limiter=self.limiter,
                weight=weight,
                sleep=self.sleep,
                rng=self.rng,
                clock=self.clock,
                slow_down=self._slow_down,
            )
        except httpx.TransportError as exc:
            raise self._on_failure(exc, request) from exc

    async def send_authorized(
        self,
        credential: RefreshingCredential[Credential],
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        authorization: Callable[[Credential], str],
        expiring: Callable[[Credential, datetime], bool],
        refreshable: Callable[[Credential], bool] = lambda _: True,
        weight: int = 1,
    ) -> httpx.Response:
        """:meth:`send` to a JSON API with ``credential`` as the ``Authorization`` header
        (``content`` of ``content_type`` instead of ``json`` for other bodies, such as a
        multipart batch); ``headers`` are added (e.g. an API's ``Prefer``).

        A refreshable credential is refreshed first when ``expiring`` now, and once after
        a 401, then the request is sent once more: tokens die early (revocation, clock
        skew). Answers the final response, whatever its status.
        """

        async def send_as(current: Credential) -> httpx.Response:
            sent = {**(headers or {}), "Authorization": authorization(current),
                    "Accept": "application/json"}
            if content_type is not None:
                sent["Content-Type"] = content_type
            return await self.send(
                method, url, headers=sent, params=params, json=json, content=content,
                idempotent=idempotent, weight=weight,
            )

        current = credential.current
        if refreshable(current) and expiring(current, self.clock.now()):
            current = await credential.refresh(current)
        response = await send_as(current)
        if response.status_code == 401 and refreshable(current):
            await response.aclose()
            current = await credential.refresh(current)
            response = await send_as(current)
        return response
