"""The shared retry policy: what is retried, how long it waits, and where it stops."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients.remote_script import RecordingSleep, ScriptedRemote, SettableClock
from zdcal.http import Budgets, Rate, RetryPolicy, parse_retry_after, send
from zdcal.http.budgets import SLOTS_PER_WINDOW, RateBudget

URL = "https://remote.example/api/thing"
FAST = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, max_total_wait=60.0, jitter=0.0)


def ok() -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


async def run(
    remote: ScriptedRemote,
    *,
    method: str = "GET",
    idempotent: bool = True,
    policy: RetryPolicy = FAST,
    sleep: RecordingSleep | None = None,
    clock: SettableClock | None = None,
    limiter: RateBudget | None = None,
) -> httpx.Response:
    sleep = sleep or RecordingSleep()
    async with remote.client() as http:
        request = http.build_request(method, URL, json={"a": 1} if method != "GET" else None)
        return await send(
            http,
            request,
            policy=policy,
            idempotent=idempotent,
            sleep=sleep,
            rng=random.Random(7),
            clock=clock or SettableClock(),
            limiter=limiter,
        )


@pytest.mark.anyio
async def test_429_waits_retry_after_seconds_then_succeeds() -> None:
    remote = ScriptedRemote(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    sleep = RecordingSleep()
    response = await run(remote, sleep=sleep)
    assert response.status_code == 200
    assert sleep.delays == [7.0]
    assert len(remote.requests) == 2


@pytest.mark.anyio
async def test_429_retries_even_a_non_idempotent_post() -> None:
    # A 429 means the server did nothing, so even a ticket create may be sent again.
    remote = ScriptedRemote(httpx.Response(429, headers={"Retry-After": "1"}), ok())
    response = await run(remote, method="POST", idempotent=False)
    assert response.status_code == 200
    assert [r.content for r in remote.requests] == [b'{"a":1}', b'{"a":1}']


@pytest.mark.anyio
async def test_429_honours_retry_after_http_date() -> None:
    clock = SettableClock()
    when = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    remote = ScriptedRemote(httpx.Response(429, headers={"Retry-After": when}), ok())
    sleep = RecordingSleep()
    await run(remote, sleep=sleep, clock=clock)
    assert sleep.delays == [30.0]


@pytest.mark.anyio
async def test_429_without_retry_after_uses_ratelimit_reset() -> None:
    remote = ScriptedRemote(httpx.Response(429, headers={"ratelimit-reset": "12"}), ok())
    sleep = RecordingSleep()
    await run(remote, sleep=sleep)
    assert sleep.delays == [12.0]


@pytest.mark.anyio
async def test_429_without_any_hint_backs_off_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=30.0, jitter=1.0)
    remote = ScriptedRemote(httpx.Response(429), httpx.Response(429), httpx.Response(429), ok())
    sleep = RecordingSleep()
    await run(remote, sleep=sleep, policy=policy)
    expected_rng = random.Random(7)
    assert sleep.delays == [policy.backoff(n, expected_rng) for n in range(3)]
    for n, delay in enumerate(sleep.delays):
        assert 0.0 <= delay <= 2.0 * 2**n


@pytest.mark.anyio
async def test_retry_after_beyond_the_total_budget_gives_up_at_once() -> None:
    remote = ScriptedRemote(httpx.Response(429, headers={"Retry-After": "3600"}))
    sleep = RecordingSleep()
    response = await run(remote, sleep=sleep)
    assert response.status_code == 429
    assert sleep.delays == []


@pytest.mark.anyio
async def test_5xx_is_retried_for_idempotent_requests_until_attempts_run_out() -> None:
    remote = ScriptedRemote(*(httpx.Response(503) for _ in range(4)))
    sleep = RecordingSleep()
    response = await run(remote, sleep=sleep)
    assert response.status_code == 503
    assert len(remote.requests) == FAST.max_attempts
    assert sleep.delays == [1.0, 2.0, 4.0]  # jitter 0: the plain exponential steps


@pytest.mark.anyio
async def test_5xx_is_not_retried_for_a_non_idempotent_request() -> None:
    remote = ScriptedRemote(httpx.Response(502))
    response = await run(remote, method="POST", idempotent=False)
    assert response.status_code == 502
    assert len(remote.requests) == 1


@pytest.mark.anyio
async def test_501_is_never_retried() -> None:
    remote = ScriptedRemote(httpx.Response(501))
    response = await run(remote)
    assert response.status_code == 501
    assert len(remote.requests) == 1


@pytest.mark.anyio
async def test_5xx_honours_retry_after_when_given() -> None:
    remote = ScriptedRemote(httpx.Response(503, headers={"Retry-After": "5"}), ok())
    sleep = RecordingSleep()
    await run(remote, sleep=sleep)
    assert sleep.delays == [5.0]


@pytest.mark.anyio
async def test_read_timeout_is_retried_only_when_idempotent() -> None:
    remote = ScriptedRemote(httpx.ReadTimeout("slow"), ok())
    assert (await run(remote)).status_code == 200
    assert len(remote.requests) == 2

    once = ScriptedRemote(httpx.ReadTimeout("slow"))
    with pytest.raises(httpx.ReadTimeout):
        await run(once, method="POST", idempotent=False)
    assert len(once.requests) == 1


@pytest.mark.anyio
async def test_connect_error_is_retried_even_when_not_idempotent() -> None:
    # Nothing reached the server, so a create cannot be duplicated by trying again.
    remote = ScriptedRemote(httpx.ConnectError("refused"), ok())
    response = await run(remote, method="POST", idempotent=False)
    assert response.status_code == 200


@pytest.mark.anyio
async def test_transport_failures_surface_the_last_error_after_all_attempts() -> None:
    remote = ScriptedRemote(*(httpx.ConnectError(f"refused {n}") for n in range(4)))
    with pytest.raises(httpx.ConnectError, match="refused 3"):
        await run(remote)
    assert len(remote.requests) == 4


@pytest.mark.anyio
async def test_total_wait_is_bounded_by_the_budget() -> None:
    policy = RetryPolicy(
        max_attempts=50, base_delay=4.0, max_delay=30.0, max_total_wait=20.0, jitter=0.0
    )
    remote = ScriptedRemote(*(httpx.Response(500) for _ in range(50)))
    sleep = RecordingSleep()
    response = await run(remote, sleep=sleep, policy=policy)
    assert response.status_code == 500
    assert sleep.total == pytest.approx(20.0)
    assert sleep.delays[:3] == [4.0, 8.0, 8.0]  # the last one clamped to what remains
    assert len(remote.requests) == 4


@pytest.mark.anyio
async def test_limiter_paces_every_attempt_including_retries() -> None:
    clock = SettableClock()
    sleep = RecordingSleep(clock)
    limiter = Budgets.local(clock=clock, sleep=sleep).rate("test", [Rate(1, 1.0)], margin=0.0)
    remote = ScriptedRemote(httpx.Response(503), httpx.Response(503), ok())
    policy = RetryPolicy(max_attempts=3, base_delay=0.0, jitter=0.0)
    await run(remote, sleep=sleep, policy=policy, limiter=limiter)
    # 1 request/second: the 2nd and 3rd attempts each waited a full second (and the
    # slot that counted the previous one: 1/k of it) for room.
    room = round(1.0 + 1.0 / SLOTS_PER_WINDOW, 3)
    assert [round(d, 3) for d in sleep.delays] == [0.0, room, 0.0, room]


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("-5", now) == 0.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"jitter": 1.5}, {"max_total_wait": -1.0}],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    retry=st.integers(min_value=0, max_value=40),
    base=st.floats(min_value=0.0, max_value=10.0),
    cap=st.floats(min_value=0.0, max_value=120.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(),
)
def test_backoff_stays_within_its_step(
    retry: int, base: float, cap: float, jitter: float, seed: int
) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, jitter=jitter)
    step = min(cap, base * 2.0**retry)
    delay = policy.backoff(retry, random.Random(seed))
    assert step * (1 - jitter) - 1e-9 <= delay <= step + 1e-9


@pytest.mark.anyio
async def test_a_vendors_own_slow_down_is_retried_like_a_429() -> None:
    """Google says "slow down" with a 403 (rateLimitExceeded) too: retried like a 429,
    even for a non-idempotent request; any other 403 is the caller's."""
    slowed = httpx.Response(403, json={"error": {"errors": [{"reason": "rateLimitExceeded"}]}})
    refused = httpx.Response(403, json={"error": {"errors": [{"reason": "forbidden"}]}})

    def slow_down(response: httpx.Response) -> bool:
        return b"rateLimitExceeded" in response.content

    for answers, statuses in (((slowed, ok()), [200, 2]), ((refused, ok()), [403, 1])):
        remote = ScriptedRemote(*answers)
        sleep = RecordingSleep()
        async with remote.client() as http:
            request = http.build_request("POST", URL, json={"a": 1})
            response = await send(http, request, policy=FAST, idempotent=False, sleep=sleep,
                                  rng=random.Random(7), clock=SettableClock(),
                                  slow_down=slow_down)
        assert [response.status_code, len(remote.requests)] == statuses
        assert sleep.delays == ([1.0] if statuses[0] == 200 else [])
