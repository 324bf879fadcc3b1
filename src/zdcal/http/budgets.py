"""Budgets: a remote API's limits, shared by every zdcal process and granted fairly.

A **scope** names one limit as the remote side counts it: ``cronofy:app`` (Cronofy's
per-application 50 a second and 500 a minute), ``google:project``, ``google:user:<user>``,
``microsoft:app``, ``microsoft:mailbox:<mailbox>`` (and ``microsoft:mailbox-inflight:<mailbox>``
for its concurrent requests), ``zendesk:account:<account id>``. Its counts
live in a :class:`Ledger`: in memory for the single-process SQLite deployment (no write
transaction per API call), in the database on PostgreSQL (``zdcal.store.rate_budgets``),
where every process of the cluster admits against the same counts. One rule decides
admission on both (:func:`seconds_until_fits`); the ledger only stores and locks.

**The rule.** Each rate "``N`` per ``T``" is counted in slots of ``T/k`` seconds
(``k`` = :data:`SLOTS_PER_WINDOW`; ``T`` includes the margin). A request of ``c`` sends is
admitted in slot ``i`` when the sends counted in slots ``i-k .. i`` plus ``c`` stay at
most ``N``. Any window of length ``T`` lies inside ``k+1`` consecutive slots, and when the
last admission inside ``j-k .. j`` was made (in slot ``i <= j``) the sum it checked covered
every earlier admission of that range, so **every** window of length ``T`` holds at most
``N`` sends: the guarantee the remote side needs whether it counts in sliding windows,
fixed windows or token buckets (a bucket of ``N`` per ``T`` lets ``2N`` through in some
window; a server counting that way is still satisfied by less). Slots rather than send
times keep the shared state small (``k+1`` counters per rate, not ``N`` timestamps) and
one row update per admission; the price is that a steady stream gets ``k/(k+1)`` of the
rate (98% with ``k = 60``: slots of a second for a per-minute rate). Fine slots also keep
waits short: a waiter is admitted as soon as the oldest counted slot leaves, a second
later at most for a per-minute rate (with ``k = 10`` a drain held at the edge of Cronofy's
minute waited up to six seconds).

**Classes and fairness.** Work runs as :attr:`WorkClass.LIVE` (a change someone just
made) or :attr:`WorkClass.BULK` (backfills, verifies, bootstraps, sweeps), carried in a
context variable (:func:`working`). BULK may use :data:`BULK_SHARE` of each rate (the
rest is kept for LIVE, in every process of the cluster, since the reserve is in the
shared counts). Concurrency slots keep no reserve: a ``$batch`` takes as many slots as
the service runs of it at once, which a cap on BULK would under-count; a freed slot goes
to a LIVE waiter first, so LIVE waits for at most one request in flight. Within a
process, the waiters
of one scope are granted one at a time: LIVE before BULK, and within a class the account
served least recently first (round robin), so one account's backfill never queues
another account's change behind it.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Protocol

from zdcal.clock import Clock, SystemClock
from zdcal.http.pacing import DEFAULT_MARGIN_SECONDS, Rate

SLOTS_PER_WINDOW = 60
"""``k``: slots a rate's window is counted in (see the module's docstring)."""
BULK_SHARE = 0.7
"""The share of each rate BULK work may use; the rest is kept for LIVE changes."""
HOLD_SECONDS = 120.0
"""How long a concurrency slot stays held if its holder never releases it (killed)."""
HOLD_POLL_SECONDS = 0.05
"""How often a waiter for a concurrency slot held by another process looks again."""
MIN_WAIT_SECONDS = 0.001
"""The shortest pause before asking again, so a coarse clock cannot make a waiter spin."""
SLOT_EDGE_SECONDS = 1e-5

Sleep = Callable[[float], Awaitable[None]]


class WorkClass(enum.Enum):
    LIVE = "live"
    BULK = "bulk"


@dataclass(frozen=True)
class Work:
    """What the current task is doing, for whom (``None``: no account, e.g. linking)."""

    kind: WorkClass = WorkClass.LIVE
    account_id: int | None = None


_WORK: ContextVar[Work] = ContextVar("zdcal_work", default=Work())  # noqa: B039 (frozen)


def current_work() -> Work:
    """The work class and account the running task declared (LIVE, none by default)."""
    return _WORK.get()


@contextmanager
def working(kind: WorkClass, account_id: int | None = None) -> Iterator[None]:
    """Declare that the calls made inside are ``kind`` work for ``account_id`` (inherited
    by tasks started inside, as context variables are)."""
    if account_id is None:
        account_id = current_work().account_id
    token = _WORK.set(Work(kind, account_id))
    try:
        yield
    finally:
        _WORK.reset(token)


def allowance(limit: int, kind: WorkClass) -> int:
    """How much of a rate's ``limit`` work of ``kind`` may fill (at least one send)."""
    if kind is WorkClass.LIVE:
        return limit
    return max(1, math.floor(limit * BULK_SHARE))


# The rule ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One rate of a scope, counted in slots of ``(per_seconds + margin) / k``."""

    rate: Rate
    margin: float = DEFAULT_MARGIN_SECONDS

    @property
    def span(self) -> float:
        return self.rate.per_seconds + self.margin

    @property
    def slot_seconds(self) -> float:
        return self.span / SLOTS_PER_WINDOW

    @property
    def key(self) -> int:
        """The window's name within its scope: its length in milliseconds."""
        return round(self.rate.per_seconds * 1000)

    def slot(self, now: float) -> int:
        return math.floor(now / self.slot_seconds)

    def oldest_counted(self, now: float) -> int:
        """The oldest slot still counted at ``now``; older ones may be pruned."""
        return self.slot(now) - SLOTS_PER_WINDOW

    @property
    def sustained(self) -> float:
        """Sends a second a steady stream is admitted in the long run: ``N`` in every
        ``k+1`` slots."""
        return self.rate.requests / ((SLOTS_PER_WINDOW + 1) * self.slot_seconds)


def seconds_until_fits(
    used: Mapping[int, int], window: Window, allowed: int, count: int, now: float
) -> float:
    """0 when ``count`` more sends fit in ``window`` (``used``: sends per slot) without
    the counted slots going above ``allowed``; else the seconds until enough of the
    oldest counted slots have left. Slots ahead of ``now`` (written on a clock a little
    ahead) are counted too."""
    oldest = window.oldest_counted(now)
    counted = sorted((slot, n) for slot, n in used.items() if slot >= oldest and n > 0)
    excess = sum(n for _, n in counted) + count - allowed
    if excess <= 0:
        return 0.0
    for slot, n in counted:
        excess -= n
        if excess <= 0:
            # A hair past the boundary: float slot arithmetic on epoch seconds (and
            # clocks of microseconds) must land in the new slot, not just before it.
            leaves = (slot + SLOTS_PER_WINDOW + 1) * window.slot_seconds + SLOT_EDGE_SECONDS
            return max(leaves - now, 0.0)
    return window.span  # only when count > allowed, which callers prevent


@dataclass(frozen=True)
class Ask:
    """What one request asks of a scope: ``count`` sends under each of its windows."""

    scope: str
    windows: tuple[Window, ...]
    count: int
    kind: WorkClass

    def windows_learned(self, learned: int | None) -> tuple[Window, ...]:
        """The windows with the first one's limit replaced by the one the service
        reported (Zendesk's plan limit), where one was learned."""
        if learned is None or learned < 1:
            return self.windows
        first = replace(self.windows[0], rate=Rate(learned, self.windows[0].rate.per_seconds))
        return (first, *self.windows[1:])

    def counted(self, window: Window) -> int:
        """Sends this request counts as in ``window``: a request heavier than the class
        may ever fill waits for an empty window instead of forever."""
        return min(self.count, allowance(window.rate.requests, self.kind))


def verdict(
    ask: Ask, windows: Sequence[Window], used: Sequence[Mapping[int, int]], now: float
) -> float:
    """The rule over all of a scope's windows: 0 to admit, else the seconds to wait."""
    return max(
        seconds_until_fits(slots, window, allowance(window.rate.requests, ask.kind),
                           ask.counted(window), now)
        for window, slots in zip(windows, used, strict=True)
    )


class Ledger(Protocol):
    """Where the counts of every scope are kept, and admitted against atomically."""

    async def take(self, ask: Ask, now: float) -> float:
        """Admit ``ask`` (record its sends in each window's current slot) and return 0,
        or record nothing and return the seconds to wait (:func:`verdict`). Prunes the
        scope's slots that no longer count."""
        ...

    async def learn(self, scope: str, limit: int) -> None:
        """Record the limit the service reports for ``scope`` (replaces the first rate's)."""
        ...

    async def hold(
        self, scope: str, holder: str, count: int, allowed: int, now: float, until: float
    ) -> bool:
        """Hold ``count`` concurrency slots of ``scope`` for ``holder`` until ``until``
        if the unexpired holds leave room under ``allowed``."""
        ...

    async def release(self, scope: str, holder: str) -> None: ...


class MemoryLedger:
    """The ledger of one process (SQLite deployments, tests, commands)."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], dict[int, int]] = {}
        self._learned: dict[str, int] = {}
        self._holds: dict[str, dict[str, tuple[int, float]]] = {}

    def _slots(self, scope: str, window: Window, now: float) -> dict[int, int]:
        slots = self._used.setdefault((scope, window.key), {})
        oldest = window.oldest_counted(now)
        for slot in [s for s in slots if s < oldest]:
            del slots[slot]
        return slots

    async def take(self, ask: Ask, now: float) -> float:
        windows = ask.windows_learned(self._learned.get(ask.scope))
        used = [self._slots(ask.scope, window, now) for window in windows]
        wait = verdict(ask, windows, used, now)
        if wait <= 0:
            for window, slots in zip(windows, used, strict=True):
                slot = window.slot(now)
                slots[slot] = slots.get(slot, 0) + ask.counted(window)
        return wait

    async def learn(self, scope: str, limit: int) -> None:
        self._learned[scope] = limit

    async def hold(
        self, scope: str, holder: str, count: int, allowed: int, now: float, until: float
    ) -> bool:
        holds = self._holds.setdefault(scope, {})
        for name in [n for n, (_, expires) in holds.items() if expires <= now]:
            del holds[name]
        if sum(taken for taken, _ in holds.values()) + count > allowed:
            return False
        holds[holder] = (count, until)
        return True

    async def release(self, scope: str, holder: str) -> None:
        holds = self._holds.get(scope, {})
        holds.pop(holder, None)
        if not holds:
            self._holds.pop(scope, None)


# Turns: who of a process's waiters asks the ledger next --------------------------------------


@dataclass(eq=False)
class _Waiter:
    work: Work
    arrival: int


@dataclass
class _Turns:
    """The waiters of one scope in this process, granted one at a time: LIVE first, then
    the account served least recently, then arrival order."""

    sleep: Sleep
    waiting: list[_Waiter] = field(default_factory=list)
    served: dict[int | None, int] = field(default_factory=dict)
    grants: int = 0
    arrivals: int = 0
    asking: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def poke(self) -> None:
        """Wake every waiter to look again (someone arrived, left or released)."""
        self.changed.set()
        self.changed = asyncio.Event()

    def _next(self) -> _Waiter:
        live = [w for w in self.waiting if w.work.kind is WorkClass.LIVE]
        return min(
            live or self.waiting,
            key=lambda w: (self.served.get(w.work.account_id, -1), w.arrival),
        )

    async def _pause(self, seconds: float | None) -> None:
        """Until someone pokes, or ``seconds`` passed (the injected sleep)."""
        if seconds is None:
            await self.changed.wait()
            return
        changed = asyncio.ensure_future(self.changed.wait())
        slept = asyncio.ensure_future(self.sleep(seconds))
        try:
            await asyncio.wait((changed, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            slept.cancel()

    async def take(self, work: Work, attempt: Callable[[], Awaitable[float]]) -> bool:
        """Return once it is ``work``'s turn and ``attempt`` (asking the ledger) says 0;
        whether it had to wait for that (behind others or for the budget)."""
        me = _Waiter(work, self.arrivals)
        self.arrivals += 1
        self.waiting.append(me)
        self.poke()
        waited = False
        try:
            while True:
                if self.asking or self._next() is not me:
                    waited = True
                    await self._pause(None)
                    continue
                self.asking = True
                try:
                    wait = await attempt()
                finally:
                    self.asking = False
                    self.poke()
                if wait <= 0:
                    self.grants += 1
                    self.served[work.account_id] = self.grants
                    return waited
                waited = True
                await self._pause(max(wait, MIN_WAIT_SECONDS))
        finally:
            self.waiting.remove(me)
            if not any(w.work.account_id == work.account_id for w in self.waiting):
                self.served.pop(work.account_id, None)
            self.poke()


# Budgets -----------------------------------------------------------------------------------


OnWait = Callable[[str, WorkClass, float], None]
"""Told (scope family, class, seconds) each time a request had to wait: metrics."""


SCOPE_KEY_CHARACTERS = 128
"""Longer per-user keys are replaced by their digest (the scope column holds 255)."""


def scope_of(family: str, key: str) -> str:
    """The scope of one user, mailbox or account in a family (``google:user``)."""
    if len(key) > SCOPE_KEY_CHARACTERS:
        key = hashlib.sha256(key.encode()).hexdigest()
    return f"{family}:{key}"


def scope_family(scope: str) -> str:
    """The scope without its last, per-user part where it has one (``google:user``),
    for labels that must stay few."""
    parts = scope.split(":")
    return ":".join(parts[:2])


class Budgets:
    """Every budget of a process, over one ledger (the composition root makes one)."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        on_wait: OnWait | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self.on_wait = on_wait
        self._turns: dict[str, _Turns] = {}
        self._learned: dict[str, int] = {}

    @classmethod
    def local(cls, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep) -> Budgets:
        """Budgets for this process alone (standalone clients, commands, tests)."""
        return cls(MemoryLedger(), clock=clock, sleep=sleep)

    def rate(
        self, scope: str, rates: Sequence[Rate], *, margin: float = DEFAULT_MARGIN_SECONDS
    ) -> RateBudget:
        """The pacer of ``scope``: at most each rate's requests in every window of it."""
        if margin < 0:
            raise ValueError("margin must not be negative")
        return RateBudget(self, scope, tuple(Window(rate, margin) for rate in rates))

    def concurrency(self, scope: str, limit: int) -> ConcurrencyBudget:
        """At most ``limit`` requests of ``scope`` in flight at once, cluster-wide."""
        if limit < 1:
            raise ValueError("a concurrency budget needs at least one slot")
        return ConcurrencyBudget(self, scope, limit)

    def turns(self, scope: str) -> _Turns:
        turns = self._turns.get(scope)
        if turns is None:
            turns = self._turns[scope] = _Turns(self.sleep)
        return turns

    async def wait_turn(self, scope: str, attempt: Callable[[], Awaitable[float]]) -> None:
        """Wait for ``scope``'s turn of the current work, then for ``attempt`` to pass;
        report a wait to ``on_wait``. Idle scopes' turns are forgotten."""
        work = current_work()
        turns = self.turns(scope)
        started = self.clock.timestamp()
        try:
            waited = await turns.take(work, attempt)
        finally:
            if not turns.waiting and self._turns.get(scope) is turns:
                del self._turns[scope]
        if waited and self.on_wait is not None:
            self.on_wait(scope_family(scope), work.kind, self.clock.timestamp() - started)

    async def learn(self, scope: str, limit: int) -> None:
        """Record a limit the service reported, once per change (not per response)."""
        if limit >= 1 and self._learned.get(scope) != limit:
            await self.ledger.learn(scope, limit)
            self._learned[scope] = limit


class RateBudget:
    """A :class:`~zdcal.http.pacing.Pacer` over one scope's rates."""

    def __init__(self, budgets: Budgets, scope: str, windows: tuple[Window, ...]) -> None:
        if not windows:
            raise ValueError("a rate budget needs at least one rate")
        self.budgets = budgets
        self.scope = scope
        self.windows = windows

    @property
    def rates(self) -> tuple[Rate, ...]:
        """The rates as configured (before any limit learned from the service)."""
        return tuple(window.rate for window in self.windows)

    async def acquire(self, count: int = 1) -> None:
        """Return once a request counting as ``count`` sends is admitted under every rate.

        A request the service counts several times (a batch) takes its sends at once:
        taken one by one, concurrent batches would each hold part of a full window."""
        ask = Ask(self.scope, self.windows, max(1, count), current_work().kind)
        ledger, clock = self.budgets.ledger, self.budgets.clock
        await self.budgets.wait_turn(self.scope, lambda: ledger.take(ask, clock.timestamp()))

    async def learn(self, limit: int) -> None:
        """The service reported its limit for the first rate (e.g. Zendesk's plan's)."""
        await self.budgets.learn(self.scope, limit)


class ConcurrencyBudget:
    """At most ``limit`` held slots of one scope at a time across the cluster; a slot of
    a killed holder comes back after :data:`HOLD_SECONDS`."""

    def __init__(self, budgets: Budgets, scope: str, limit: int) -> None:
        self.budgets = budgets
        self.scope = scope
        self.limit = limit

    @asynccontextmanager
    async def hold(self, count: int = 1) -> AsyncIterator[None]:
        """Hold ``count`` slots (a batch Outlook runs several of at once) while inside."""
        count = max(1, min(count, self.limit))
        holder = uuid.uuid4().hex
        budgets = self.budgets

        async def attempt() -> float:
            now = budgets.clock.timestamp()
            taken = await budgets.ledger.hold(
                self.scope, holder, count, self.limit, now, now + HOLD_SECONDS,
            )
            return 0.0 if taken else HOLD_POLL_SECONDS

        await budgets.wait_turn(self.scope, attempt)
        try:
            yield
        finally:
            await asyncio.shield(budgets.ledger.release(self.scope, holder))
            turns = budgets._turns.get(self.scope)
            if turns is not None:
                turns.poke()
