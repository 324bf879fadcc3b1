"""The budgets' admission rule and fairness, on the in-memory ledger, driven by an
injected clock and sleep (the PostgreSQL ledger: tests/store/test_rate_budgets_pg.py)."""

from __future__ import annotations

import asyncio
import bisect
import itertools

import pytest

from clients.remote_script import RecordingSleep, SettableClock
from zdcal.http import Budgets, Rate, WorkClass, working
from zdcal.http.budgets import (
    HOLD_SECONDS,
    SLOTS_PER_WINDOW,
    MemoryLedger,
    RateBudget,
    Window,
    scope_family,
    scope_of,
    seconds_until_fits,
)

K = SLOTS_PER_WINDOW


def budgets_on(clock: SettableClock) -> tuple[Budgets, RecordingSleep]:
    sleep = RecordingSleep(clock)
    return Budgets(MemoryLedger(), clock=clock, sleep=sleep), sleep


def budget_on(
    clock: SettableClock, *rates: Rate, margin: float = 0.0
) -> tuple[RateBudget, RecordingSleep]:
    budgets, sleep = budgets_on(clock)
    return budgets.rate("test:app", rates, margin=margin), sleep


def most_in_any_window(times: list[float], span: float) -> int:
    """The largest number of sends inside any half-open window (t - span, t]."""
    return max(i + 1 - bisect.bisect_right(times, t - span) for i, t in enumerate(times))


def test_the_rule_counts_the_last_k_plus_one_slots() -> None:
    window = Window(Rate(10, 1.0), margin=0.0)  # slots of 1/K s
    now = 1000.5 / K  # the middle of slot 1000
    assert window.slot(now) == 1000
    assert seconds_until_fits({}, window, 10, 10, now) == 0.0
    oldest, middle = 1000 - K, 1000 - K // 2
    full = {oldest: 4, middle: 6}  # the oldest slot still counts in slot 1000 (k+1 slots)
    # One more fits when the oldest slot leaves, at the start of slot 1001...
    assert seconds_until_fits(full, window, 10, 1, now) == pytest.approx(0.5 / K, abs=1e-4)
    # ...five more once the middle one has left too.
    assert seconds_until_fits(full, window, 10, 5, now) == pytest.approx(
        (K // 2 + 0.5) / K, abs=1e-4)
    assert seconds_until_fits({oldest - 1: 10}, window, 10, 10, now) == 0.0  # no longer counted
    # A slot ahead (another process's clock runs ahead) counts as well.
    assert seconds_until_fits({1001: 10}, window, 10, 1, now) > 0


def test_a_steady_stream_gets_k_over_k_plus_one_of_the_rate() -> None:
    window = Window(Rate(500, 60.0), margin=0.05)
    assert window.sustained == pytest.approx(500 * K / ((K + 1) * 60.05))
    assert window.sustained > 0.98 * 500 / 60.05


@pytest.mark.anyio
async def test_a_quiet_client_may_send_a_full_window_at_once() -> None:
    clock = SettableClock()
    budget, sleep = budget_on(clock, Rate(5, 1.0))
    for _ in range(5):
        await budget.acquire()
    assert sleep.delays == []
    await budget.acquire()
    assert 1.0 <= sleep.total <= 1.0 + 1.0 / K + 1e-4


@pytest.mark.anyio
async def test_cronofy_limits_hold_in_every_window_even_a_sliding_one() -> None:
    clock = SettableClock()
    budget, _ = budget_on(clock, Rate(50, 1.0), Rate(500, 60.0), margin=0.05)
    times: list[float] = []
    for _ in range(1200):
        await budget.acquire()
        times.append(clock.monotonic())
    assert most_in_any_window(times, 1.05) <= 50
    assert most_in_any_window(times, 60.05) <= 500
    # ...and not needlessly slow: at least k/(k+1) of the per-minute rate.
    elapsed = times[-1] - times[0]
    assert 2 * 60.0 < elapsed < 2 * 60.05 * (K + 1) / K + 5.0


@pytest.mark.anyio
async def test_the_margin_keeps_sends_apart_by_more_than_the_window() -> None:
    clock = SettableClock()
    budget, _ = budget_on(clock, Rate(1, 1.0), margin=0.05)
    times = []
    for _ in range(3):
        await budget.acquire()
        times.append(clock.monotonic())
    assert all(b - a >= 1.05 - 1e-6 for a, b in itertools.pairwise(times))


@pytest.mark.anyio
async def test_idle_time_frees_the_window() -> None:
    clock = SettableClock()
    budget, sleep = budget_on(clock, Rate(2, 1.0))
    await budget.acquire()
    await budget.acquire()
    clock.advance(100)
    for _ in range(2):
        await budget.acquire()
    assert sleep.delays == []


@pytest.mark.anyio
async def test_a_request_counted_several_times_takes_its_sends_together() -> None:
    # Concurrent batches of 4 under 10 a minute: two go now, the third waits for room for
    # all of its 4 (taken one by one, all three would go out together when room came).
    clock = SettableClock()
    budget, _ = budget_on(clock, Rate(10, 60.0))
    start = clock.monotonic()
    sent: list[float] = []

    async def batch() -> None:
        await budget.acquire(4)
        sent.extend([clock.monotonic() - start] * 4)

    await asyncio.gather(batch(), batch(), batch())
    assert sent[:8] == [0.0] * 8
    assert 60.0 <= sent[8] <= 66.0 + 1e-4
    assert most_in_any_window(sorted(sent), 60.0) == 8


@pytest.mark.anyio
async def test_a_request_heavier_than_a_window_waits_for_an_empty_one() -> None:
    clock = SettableClock()
    budget, sleep = budget_on(clock, Rate(3, 1.0))
    await budget.acquire()
    await budget.acquire(5)  # cannot ever fit: it takes a whole window
    assert 1.0 <= sleep.total <= 1.1 + 1e-4


@pytest.mark.anyio
async def test_bulk_work_leaves_thirty_percent_for_live_changes() -> None:
    clock = SettableClock()
    budget, sleep = budget_on(clock, Rate(10, 60.0))
    with working(WorkClass.BULK, 1):
        for _ in range(7):
            await budget.acquire()
    assert sleep.delays == []
    for _ in range(3):  # the reserve: live changes go at once
        await budget.acquire()
    assert sleep.delays == []
    with working(WorkClass.BULK, 1):
        await budget.acquire()
    assert sleep.total >= 60.0


@pytest.mark.anyio
async def test_live_waiters_go_before_bulk_ones_and_accounts_take_turns() -> None:
    clock = SettableClock()
    budget, _ = budget_on(clock, Rate(1, 1.0))
    await budget.acquire()  # the window is full: everyone below waits
    order: list[str] = []

    async def ask(kind: WorkClass, account: int, name: str) -> None:
        with working(kind, account):
            await budget.acquire()
        order.append(name)

    tasks = [asyncio.create_task(ask(WorkClass.BULK, 1, f"bulk-a{n}")) for n in range(4)]
    tasks += [asyncio.create_task(ask(WorkClass.BULK, 2, f"bulk-b{n}")) for n in range(2)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(ask(WorkClass.LIVE, 3, "live-c")))
    await asyncio.gather(*tasks)
    assert order[0] == "live-c"  # arrived last, served first
    assert order[1:5] == ["bulk-a0", "bulk-b0", "bulk-a1", "bulk-b1"]  # round robin
    assert order[5:] == ["bulk-a2", "bulk-a3"]


@pytest.mark.anyio
async def test_a_learned_limit_replaces_the_default() -> None:
    clock = SettableClock()
    budget, sleep = budget_on(clock, Rate(2, 60.0))
    await budget.learn(5)
    for _ in range(5):
        await budget.acquire()
    assert sleep.delays == []
    assert budget.rates == (Rate(2, 60.0),)  # as configured; the ledger applies what it learned


@pytest.mark.anyio
async def test_concurrency_slots_are_held_until_released_or_expired() -> None:
    clock = SettableClock()
    budgets, _ = budgets_on(clock)
    slots = budgets.concurrency("test:inflight", 4)
    inside = 0
    most = 0

    async def call() -> None:
        nonlocal inside, most
        async with slots.hold():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(call() for _ in range(12)))
    assert most == 4
    # A holder that never releases (killed): its slots come back after the expiry.
    ledger = budgets.ledger
    now = clock.timestamp()
    assert await ledger.hold("test:inflight", "dead", 4, 4, now, now + HOLD_SECONDS)
    assert not await ledger.hold("test:inflight", "next", 1, 4, now + 1, now + 1 + HOLD_SECONDS)
    later = now + HOLD_SECONDS
    assert await ledger.hold("test:inflight", "next", 1, 4, later, later + HOLD_SECONDS)


@pytest.mark.anyio
async def test_a_freed_slot_goes_to_a_live_waiter_first() -> None:
    clock = SettableClock()
    budgets, _ = budgets_on(clock)
    slots = budgets.concurrency("test:inflight", 1)
    order: list[str] = []
    release = asyncio.Event()

    async def call(kind: WorkClass, account: int, name: str) -> None:
        with working(kind, account):
            async with slots.hold():
                order.append(name)
                if name == "first":
                    await release.wait()

    first = asyncio.create_task(call(WorkClass.BULK, 1, "first"))
    await asyncio.sleep(0.01)
    waiting = [asyncio.create_task(call(WorkClass.BULK, 1, f"bulk{n}")) for n in range(2)]
    await asyncio.sleep(0.01)
    waiting.append(asyncio.create_task(call(WorkClass.LIVE, 2, "live")))
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(first, *waiting)
    assert order == ["first", "live", "bulk0", "bulk1"]


def test_scopes_and_their_families() -> None:
    assert scope_of("google:user", "a@example.com") == "google:user:a@example.com"
    assert len(scope_of("google:user", "x" * 500)) < 255
    assert scope_family("google:user:a@example.com") == "google:user"
    assert scope_family("cronofy:app") == "cronofy:app"
    assert scope_family("zendesk:account:7") == "zendesk:account"


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one request"):
        Rate(0, 1.0)
    with pytest.raises(ValueError, match="at least one rate"):
        Budgets.local().rate("x", [])
    with pytest.raises(ValueError, match="at least one slot"):
        Budgets.local().concurrency("x", 0)


@pytest.mark.anyio
async def test_waits_are_reported_by_scope_family_and_class() -> None:
    clock = SettableClock()
    budgets, _ = budgets_on(clock)
    waits: list[tuple[str, WorkClass, float]] = []
    budgets.on_wait = lambda scope, kind, seconds: waits.append((scope, kind, seconds))
    budget = budgets.rate("google:user:a@example.com", (Rate(1, 1.0),), margin=0.0)
    await budget.acquire()
    assert waits == []  # admitted at once: nothing to report
    with working(WorkClass.BULK, 1):
        await budget.acquire()
    assert [(scope, kind) for scope, kind, _ in waits] == [("google:user", WorkClass.BULK)]
    assert waits[0][2] >= 1.0
