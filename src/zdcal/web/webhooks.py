"""The Zendesk webhook receiver: ``POST /webhooks/zendesk/{account key}``.

Checks, in this order: the account exists; the bearer token (zdcal's own, set on the
webhook at bootstrap); the body size (read with a cap, since the signature covers the
raw body); the signature (``X-Zendesk-Webhook-Signature`` = base64 HMAC-SHA256 of
timestamp + raw body, constant time, any of the account's current secrets); the
timestamp window (replays and far-future timestamps); the body's shape. Only then is
the ticket id recorded for the worker, and answered 202 — before any Zendesk or
calendar call. Bad input gets a 4xx with a short reason, never a 5xx, and nothing is
enqueued. Nothing secret is logged.

Replays: each accepted delivery is recorded in the database (shared by every process,
kept across restarts) under one key, and a delivery whose key was accepted before is
answered 200 "duplicate" and queues nothing:

* ``i:`` + the invocation id (a ULID; older documents show numbers), when sent. Zendesk
  re-signs each attempt of one invocation with a later timestamp: only the id tells its
  retries apart. Two notifications of one ticket signed in the same second have the same
  timestamp and body but different ids, and both count.
* Without one, ``c:`` + SHA-256 of what the signature covers (timestamp + raw body):
  copies of one signed delivery are the same content, however their other headers vary.
  (The signature text itself is not used: its base64 spelling is not proven unique.)

The invocation id is not signed, so copies of a captured delivery with made-up ids pass
as new: their cost is bounded where tickets are read, not here. The worker takes every
queued notification of a ticket as one and re-reads at most once per collect window, so
such a flood costs one ``show_many`` per window.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zdcal.live.intake import NotificationIntake
from zdcal.live.services import Services
from zdcal.web.bodies import (
    BodyRefused,
    decode_json,
    plausible_account_key,
    read_capped_body,
    zendesk_id,
)
from zdcal.web.refusals import WebhookRefusals
from zdcal.zendesk.signature import verify_webhook_signature, webhook_timestamp_fresh

MAX_BODY_BYTES = 16 * 1024
ACCOUNT_CACHE_SECONDS = 10.0
MIN_RELOAD_SECONDS = 1.0
# Zendesk's invocation ids are ULIDs (26 characters); a little room for other spellings.
INVOCATION_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class ReceiverAccount:
    account_id: int
    subdomain: str
    bearer_token: str
    signing_secrets: tuple[str, ...]


class ReceiverAccounts:
    """Account keys → what authenticates their webhooks, cached briefly.

    Unknown keys reload the cache at most once per ``ACCOUNT_CACHE_SECONDS``, so a flood
    of forged keys cannot turn into a flood of database reads.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._accounts: dict[str, ReceiverAccount] = {}
        self._loaded_at = float("-inf")

    async def get(self, key: str, *, fresh: bool = False) -> ReceiverAccount | None:
        """The account for ``key``; ``fresh`` asks for a reload (a just-bootstrapped or
        re-keyed account), granted at most once a second."""
        age = time.monotonic() - self._loaded_at
        if age >= ACCOUNT_CACHE_SECONDS or (
            (fresh or key not in self._accounts) and age >= MIN_RELOAD_SECONDS
        ):
            await self._load()
        return self._accounts.get(key)

    async def _load(self) -> None:
        async with self._services.store.transaction() as tx:
            accounts = await tx.accounts.all()
        self._accounts = {
            a.key: ReceiverAccount(a.id, a.subdomain, a.webhook.bearer_token,
                                   a.webhook.signing_secrets)
            for a in accounts if a.webhook is not None
        }
        self._loaded_at = time.monotonic()


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ZendeskWebhookReceiver:
    """The ASGI endpoint; one per app."""

    def __init__(
        self, services: Services, intake: NotificationIntake, refusals: WebhookRefusals
    ) -> None:
        self.services = services
        self.intake = intake
        self.refusals = refusals
        self.accounts = ReceiverAccounts(services)
        self.window = timedelta(seconds=services.settings.webhook_replay_window_seconds)

    async def __call__(self, request: Request) -> Response:
        metrics = self.services.metrics.webhooks
        try:
            account, ticket_id, keys = await self._check(request)
        except Rejected as rejected:
            return self.refusals.refuse("zendesk", rejected.status, rejected.reason)
        if not await self.intake.record(account.account_id, ticket_id, keys):
            metrics.labels("zendesk", "duplicate", "").inc()
            return JSONResponse({"status": "duplicate"}, status_code=200)
        metrics.labels("zendesk", "accepted", "").inc()
        return JSONResponse({"status": "accepted"}, status_code=202)

    async def _check(
        self, request: Request
    ) -> tuple[ReceiverAccount, int, tuple[str, ...]]:
        key = str(request.path_params.get("account_key", ""))
        account = await self.accounts.get(key) if plausible_account_key(key) else None
        if account is None:
            raise Rejected(404, "unknown account")
        body: bytes | None = None
        for attempt in ("cached", "reloaded"):
            try:
                if not _bearer_ok(request, account):
                    raise Rejected(401, "bad or missing bearer token")
                if body is None:
                    body = await self._body(request)
                _signature_ok(request, account, body)
                break
            except Rejected as rejected:
                # Credentials may have changed since the cache was filled (bootstrap).
                fresh = await self.accounts.get(key, fresh=True) if attempt == "cached" else None
                if rejected.status != 401 or fresh is None or fresh == account:
                    raise
                account = fresh
        timestamp = request.headers.get("x-zendesk-webhook-signature-timestamp", "")
        if not webhook_timestamp_fresh(timestamp, self.services.clock.now(), self.window):
            raise Rejected(401, "timestamp outside the accepted window")
        assert body is not None  # the loop either read it or raised
        return account, _ticket_id(body), _delivery_keys(request, timestamp, body)

    @staticmethod
    async def _body(request: Request) -> bytes:
        try:
            return await read_capped_body(request, MAX_BODY_BYTES)
        except BodyRefused as refused:
            raise Rejected(refused.status, refused.reason) from refused


def _bearer_ok(request: Request, account: ReceiverAccount) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode("utf-8", "replace"), account.bearer_token.encode()
    )


def _signature_ok(request: Request, account: ReceiverAccount, body: bytes) -> None:
    signature = request.headers.get("x-zendesk-webhook-signature")
    timestamp = request.headers.get("x-zendesk-webhook-signature-timestamp")
    if not signature or not timestamp:
        raise Rejected(401, "missing signature headers")
    if not any(
        verify_webhook_signature(secret, timestamp, body, signature)
        for secret in account.signing_secrets
    ):
        raise Rejected(401, "bad signature")


def _delivery_keys(request: Request, timestamp: str, body: bytes) -> tuple[str, ...]:
    """What identifies this delivery among copies of it (see the module docstring)."""
    invocation = request.headers.get("x-zendesk-webhook-invocation-id")
    if invocation is None:
        return ("c:" + hashlib.sha256(timestamp.encode() + body).hexdigest(),)
    if not INVOCATION_ID.fullmatch(invocation.strip()):
        raise Rejected(400, "malformed invocation id")
    return ("i:" + invocation.strip(),)


def _ticket_id(body: bytes) -> int:
    """The ticket id from the body zdcal's trigger sends: {"ticket_id": "123", ...}."""
    try:
        data = decode_json(body)
    except BodyRefused as refused:
        raise Rejected(refused.status, refused.reason) from refused
    if not isinstance(data, dict):
        raise Rejected(400, "body must be a JSON object")
    ticket_id = zendesk_id(data.get("ticket_id"))
    if ticket_id is None:
        raise Rejected(400, "ticket_id must be a positive integer")
    return ticket_id
