"""Both webhook receivers under attack: forged, tampered, replayed, oversized, odd,
fuzzed.

Zero 5xx, nothing enqueued, nothing secret logged, refusals counted and logged sparingly;
a genuine delivery is accepted once. The server runs without workers here so the queue
can be inspected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_support import bootstrap
from world import World, open_world

from zdcal.runtime import Runtime
from zdcal.sandbox.server import ServerThread
from zdcal.web.app import create_app

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """An invocation id as real Zendesk sends them (26 Crockford base32 characters)."""
    return "".join(CROCKFORD[b % 32] for b in os.urandom(26))


@dataclass
class Target:
    world: World = field(repr=False)
    http: httpx.Client = field(repr=False)
    key: str = field(repr=False)
    token: str = field(repr=False)
    secret: str = field(repr=False)
    logs: list[str] = field(repr=False)
    base_url: str = field(repr=False)

    def path(self, key: str | None = None) -> str:
        return f"/webhooks/zendesk/{key or self.key}"

    def signed(self, body: bytes, *, when: datetime | None = None,
               secret: str | None = None) -> dict[str, str]:
        stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # The documented formula, written out here independently of zdcal's own code.
        digest = hmac.new((secret or self.secret).encode(), stamp.encode() + body,
                          hashlib.sha256).digest()
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": ulid(),
        }

    def cronofy_signed(self, body: bytes) -> dict[str, str]:
        secret = self.world.settings.cronofy_client_secret.get_secret_value()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return {"Content-Type": "application/json",
                "Cronofy-HMAC-SHA256": base64.b64encode(digest).decode()}

    def counted(self, receiver: str, outcome: str, reason: str) -> float:
        """The receiver's ``zdcal_webhooks`` counter for one outcome and reason."""
        text = self.http.get("/metrics").text
        labels = f'outcome="{outcome}",reason="{reason}",receiver="{receiver}"'  # sorted
        found = re.search(re.escape(f"zdcal_webhooks_total{{{labels}}}") + r" (\S+)", text)
        return float(found.group(1)) if found else 0.0

    def queued(self) -> int:
        async def depth(runtime: Runtime) -> int:
            async with runtime.store.transaction() as tx:
                return await tx.notifications.depth()

        return self.world.run(depth)


class Capture(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record) + repr(vars(record)))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp("receiver")
    logs: list[str] = []
    handler = Capture(logs)
    logging.getLogger().addHandler(handler)
    try:
        with open_world(tmp, f"sqlite+aiosqlite:///{tmp / 'zdcal.db'}") as world:
            server = ServerThread(create_app(world.settings, run_workers=False)).start()
            try:
                bootstrap(world, server.base_url)

                async def creds(runtime: Runtime) -> tuple[str, str, str]:
                    account = await world._account(runtime)
                    assert account.webhook is not None
                    return (account.key, account.webhook.bearer_token,
                            account.webhook.signing_secrets[0])

                key, token, secret = world.run(creds)
                with httpx.Client(base_url=server.base_url, timeout=10) as http:
                    yield Target(world, http, key, token, secret, logs, server.base_url)
            finally:
                server.stop()
    finally:
        logging.getLogger().removeHandler(handler)


BODY = b'{"ticket_id": "42", "account": "x"}'


def test_a_genuine_delivery_is_accepted_and_queued_once(target: Target) -> None:
    before = target.queued()
    headers = target.signed(BODY)
    first = target.http.post(target.path(), content=BODY, headers=headers)
    assert first.status_code == 202
    again = target.http.post(target.path(), content=BODY, headers=headers)  # same invocation
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert target.queued() == before + 1



def test_copies_of_one_signed_delivery_are_accepted_once(target: Target) -> None:
    """Copies without an invocation id are known by what the signature covers; copies
    with one by the id (a flood with made-up ids is coalesced by the worker instead:
    test_webhook_flow)."""
    before = target.queued()
    body = b'{"ticket_id": "4242", "account": "x"}'
    with_id = target.signed(body)
    without_id = {k: v for k, v in with_id.items() if k != "X-Zendesk-Webhook-Invocation-Id"}
    statuses: Counter[int] = Counter(
        target.http.post(target.path(), content=body, headers=headers).status_code
        for headers in [without_id] * 30 + [with_id] * 30
    )
    # The first copy of each kind is new: an id and no id do not match each other.
    assert statuses == {202: 2, 200: 58}
    assert target.queued() == before + 2


def test_zendesks_retry_of_an_invocation_is_a_duplicate(target: Target) -> None:
    """Zendesk signs each attempt anew: only the invocation id tells a retry apart."""
    before = target.queued()
    body = b'{"ticket_id": "4243", "account": "x"}'
    first = target.signed(body, when=datetime.now(UTC) - timedelta(seconds=30))
    retry = {**target.signed(body), "X-Zendesk-Webhook-Invocation-Id":
             first["X-Zendesk-Webhook-Invocation-Id"]}
    assert target.http.post(target.path(), content=body, headers=first).status_code == 202
    assert target.http.post(target.path(), content=body, headers=retry).status_code == 200
    assert target.queued() == before + 1


def test_deliveries_are_remembered_across_restarts_and_servers(target: Target) -> None:
    before = target.queued()
    body = b'{"ticket_id": "4244", "account": "x"}'
    headers = target.signed(body)
    assert target.http.post(target.path(), content=body, headers=headers).status_code == 202
    # A second server on the same database: another machine, or this one restarted.
    other = ServerThread(create_app(target.world.settings, run_workers=False)).start()
    try:
        with httpx.Client(base_url=other.base_url, timeout=10) as http:
            again = http.post(target.path(), content=body, headers=headers)
    finally:
        other.stop()
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert target.queued() == before + 1


DEEP = 8000
ODD_BODIES = {
    "superscript digit": '{"ticket_id": "\u00b2"}',
    "Arabic-Indic digits": '{"ticket_id": "\u0664\u0662"}',
    "fullwidth digits": '{"ticket_id": "\uff14\uff12"}',
    "5,000-digit string": '{"ticket_id": "' + "9" * 5000 + '"}',
    "5,000-digit number": '{"ticket_id": ' + "9" * 5000 + "}",
    "above 64 bits": '{"ticket_id": "9223372036854775808"}',
    "a float": '{"ticket_id": 42.0}',
    "a boolean": '{"ticket_id": true}',
    "nested arrays": "[" * DEEP,
    "nested objects": '{"a": ' * 2500,
    "nested under the id": '{"ticket_id": ' + "[" * DEEP,
}


@pytest.mark.parametrize("kind", ODD_BODIES)
def test_odd_but_signed_bodies_are_refused_with_400(target: Target, kind: str) -> None:
    before = target.queued()
    body = ODD_BODIES[kind].encode()
    response = target.http.post(target.path(), content=body, headers=target.signed(body))
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert target.queued() == before


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("receiver", ["zendesk", "cronofy"])
def test_other_methods_on_receiver_paths_are_405(
    target: Target, method: str, receiver: str
) -> None:
    path = target.path() if receiver == "zendesk" else f"/webhooks/cronofy/{target.key}/1002"
    response = target.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", [
    "/webhooks/zendesk/{key}/more", "/webhooks/zendesk", "/webhooks/cronofy/{key}",
    "/webhooks/cronofy/{key}/1002/more", "/webhooks/elsewhere",
])
def test_unknown_receiver_paths_are_404(target: Target, path: str) -> None:
    response = target.http.post(path.format(key=target.key), content=BODY,
                                headers=target.signed(BODY))
    assert response.status_code == 404
    assert response.json()["error"]


CRONOFY_NOTIFICATION = b'{"notification": {"type": "change"}, "channel": {}}'


@pytest.mark.parametrize(("user", "body", "status"), [
    ("1002", b"[" * 60_000, 400),
    ("1002", b'{"notification": ' * 3_500, 400),
    ("1002", b'{"notification": {"type": 5}}', 400),
    ("%C2%B2", CRONOFY_NOTIFICATION, 404),
    ("%D9%A4%D9%A2", CRONOFY_NOTIFICATION, 404),
    ("9223372036854775808", CRONOFY_NOTIFICATION, 404),
    ("99999999999999999999999", CRONOFY_NOTIFICATION, 404),
    ("0", CRONOFY_NOTIFICATION, 404),
])
def test_odd_but_signed_calendar_notifications_get_a_4xx(
    target: Target, user: str, body: bytes, status: int
) -> None:
    response = target.http.post(f"/webhooks/cronofy/{target.key}/{user}", content=body,
                                headers=target.cronofy_signed(body))
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_a_flood_of_refusals_is_counted_but_logged_sparingly(target: Target) -> None:
    zendesk_before = target.counted("zendesk", "rejected", "bad signature")
    cronofy_before = target.counted("cronofy", "rejected", "bad or missing signature")
    first_line = len(target.logs)
    forged = target.signed(BODY, secret="guessed secret")
    for _ in range(300):
        target.http.post(target.path(), content=BODY, headers=forged)
        target.http.post(f"/webhooks/cronofy/{target.key}/1002", content=BODY,
                         headers={"Cronofy-HMAC-SHA256": "bm90IGl0"})
    lines = target.logs[first_line:]
    assert len([line for line in lines if "bad signature" in line]) <= 1
    assert len([line for line in lines if "bad or missing signature" in line]) <= 1
    assert target.counted("zendesk", "rejected", "bad signature") == zendesk_before + 300
    assert target.counted("cronofy", "rejected", "bad or missing signature") == (
        cronofy_before + 300)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("wrong token", 401),
        ("no token", 401),
        ("wrong signature", 401),
        ("tampered body", 401),
        ("old timestamp", 401),
        ("future timestamp", 401),
        ("no signature headers", 401),
        ("unknown account", 404),
        ("oversized body", 413),
        ("malformed JSON", 400),
        ("no ticket id", 400),
        ("negative ticket id", 400),
        ("odd invocation id", 400),
    ],
)
def test_forged_or_bad_deliveries_are_refused_and_nothing_is_queued(
    target: Target, change: str, status: int
) -> None:
    before = target.queued()
    body, path = BODY, target.path()
    headers = target.signed(body)
    if change == "wrong token":
        headers["Authorization"] = "Bearer not-the-token"
    elif change == "no token":
        del headers["Authorization"]
    elif change == "wrong signature":
        headers = target.signed(body, secret="guessed secret")
    elif change == "tampered body":
        body = b'{"ticket_id": "43", "account": "x"}'
    elif change == "old timestamp":
        headers = target.signed(body, when=datetime.now(UTC) - timedelta(minutes=6))
    elif change == "future timestamp":
        headers = target.signed(body, when=datetime.now(UTC) + timedelta(minutes=6))
    elif change == "no signature headers":
        del headers["X-Zendesk-Webhook-Signature"]
    elif change == "unknown account":
        path = target.path("nosuchaccount")
    elif change == "oversized body":
        body = b'{"ticket_id": "42", "pad": "' + b"x" * 40_000 + b'"}'
        headers = target.signed(body)
    elif change == "malformed JSON":
        body = b'{"ticket_id": '
        headers = target.signed(body)
    elif change == "no ticket id":
        body = b'{"account": "x"}'
        headers = target.signed(body)
    elif change == "negative ticket id":
        body = b'{"ticket_id": -4}'
        headers = target.signed(body)
    elif change == "odd invocation id":
        headers["X-Zendesk-Webhook-Invocation-Id"] = "01HANA2B5D5W9XSJS3NE5SQA1J;DROP"
    response = target.http.post(path, content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]
    assert target.queued() == before


HEADER_NAMES = st.sampled_from([
    "Authorization", "X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp",
    "X-Zendesk-Webhook-Invocation-Id", "Content-Type", "Content-Length", "X-Other",
])
TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=3000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    body=st.one_of(st.binary(max_size=300), TEXT.map(str.encode),
                   st.dictionaries(TEXT, st.one_of(st.integers(), TEXT, st.none()))
                   .map(lambda d: json.dumps(d).encode())),
    headers=st.dictionaries(HEADER_NAMES, TEXT.map(str.strip), max_size=5),
    keep_token=st.booleans(),
    key=st.one_of(st.none(), TEXT.filter(lambda k: "/" not in k and "?" not in k
                                         and "#" not in k and k not in ("", ".", ".."))),
)
def test_fuzzed_requests_never_get_a_5xx_nor_enqueue(
    target: Target, body: bytes, headers: dict[str, str], keep_token: bool, key: str | None
) -> None:
    if keep_token:
        headers["Authorization"] = f"Bearer {target.token}"
    headers.pop("Content-Length", None)
    before = target.queued() if keep_token else None
    response = target.http.post(target.path(key) if key else target.path(),
                                content=body, headers=headers)
    assert response.status_code < 500
    assert response.status_code >= 400
    if before is not None:
        assert target.queued() == before


# Bodies that pass the signature check but are odd inside: ids in other scripts' digits,
# huge or negative numbers, deep nesting, arbitrary JSON and bytes.
UNICODE_DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=25)
ODD_ID = st.one_of(
    UNICODE_DIGITS, st.integers(-(2**70), 2**70), st.integers(-(2**70), 2**70).map(str),
    st.integers(1, 6000).map(lambda n: "9" * n), st.floats(), st.booleans(), st.none(),
    st.text(max_size=30),
)
NESTED = st.tuples(st.integers(1, 10_000), st.sampled_from(["[", '{"a": ', '{"ticket_id": ']))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
SIGNED_ZENDESK_BODY = st.one_of(
    ODD_ID.map(lambda v: json.dumps({"ticket_id": v, "account": "x"}).encode()),
    st.integers(1, 6000).map(lambda n: b'{"ticket_id": ' + b"9" * n + b"}"),
    NESTED.map(lambda n: (n[1] * min(n[0], 16_000 // len(n[1]))).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
)


@settings(max_examples=800, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=SIGNED_ZENDESK_BODY, with_invocation=st.booleans())
def test_fuzzed_signed_zendesk_bodies_never_get_a_5xx(
    target: Target, body: bytes, with_invocation: bool
) -> None:
    headers = target.signed(body)
    if not with_invocation:
        del headers["X-Zendesk-Webhook-Invocation-Id"]
    response = target.http.post(target.path(), content=body, headers=headers)
    assert response.status_code in (200, 202, 400), response.text


NOTIFICATION_TYPES = st.sampled_from(["change", "profile_disconnected", "verification", "x"])
SIGNED_CRONOFY_BODY = st.one_of(
    st.fixed_dictionaries({
        "notification": st.one_of(st.fixed_dictionaries({"type": NOTIFICATION_TYPES}),
                                  JSON_VALUES),
        "channel": st.one_of(JSON_VALUES, st.fixed_dictionaries(
            {"channel_id": st.text(max_size=20), "callback_url": st.text(max_size=40)})),
    }).map(lambda v: json.dumps(v).encode()),
    NESTED.map(lambda n: (n[1] * min(n[0], 60_000 // len(n[1]))).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
)
PATH_PART = st.one_of(
    st.integers(-(2**70), 2**70).map(str), UNICODE_DIGITS, st.text(min_size=1, max_size=30),
).filter(lambda part: part not in (".", ".."))


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=SIGNED_CRONOFY_BODY, sign=st.booleans(), user=PATH_PART,
       key=st.one_of(st.none(), PATH_PART),
       method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE"]))
def test_fuzzed_calendar_notifications_never_get_a_5xx(
    target: Target, body: bytes, sign: bool, user: str, key: str | None, method: str
) -> None:
    path = f"/webhooks/cronofy/{quote(key or target.key, safe='')}/{quote(user, safe='')}"
    headers = target.cronofy_signed(body) if sign else {"Content-Type": "application/json"}
    response = target.http.request(method, path, content=body, headers=headers)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text


def test_nothing_secret_was_logged(target: Target) -> None:
    text = "\n".join(target.logs)
    assert target.logs, "the receiver logs its refusals"
    assert target.token not in text
    assert target.secret not in text
