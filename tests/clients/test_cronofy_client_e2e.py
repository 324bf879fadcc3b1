"""The Cronofy client end to end over real HTTP against the Cronofy simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clients.conftest import Sim
from clients.remote_script import RecordingSleep
from zdcal.calendars.cronofy import (
    BatchEntry,
    BatchTooLarge,
    CronofyClient,
    CronofyTokens,
    Invalid,
    Locked,
    NotFound,
    TokenRefreshFailed,
    Unreachable,
)
from zdcal.calendars.cronofy import oauth as cronofy_oauth
from zdcal.calendars.cronofy.signature import SIGNATURE_HEADER, verify_notification
from zdcal.http import Budgets, Rate, RetryPolicy
from zdcal.sandbox.server import ServerThread

CLIENT_ID, CLIENT_SECRET = "zdcal-sandbox", "zdcal-sandbox-secret"
ADA_TASKS = "cal_sandbox_ada_tasks"
ADA_WORK = "cal_sandbox_ada_work"
ADA_HOLIDAYS = "cal_sandbox_ada_holidays"
ADA_TOKENS = CronofyTokens(access_token="sandbox-access-ada", refresh_token="sandbox-refresh-ada")


def ada(sim: Sim, **kwargs: Any) -> CronofyClient:
    kwargs.setdefault("client_id", CLIENT_ID)
    kwargs.setdefault("client_secret", CLIENT_SECRET)
    return CronofyClient(sim.base_url, kwargs.pop("tokens", ADA_TOKENS), **kwargs)


def task_event(event_id: str, day: int = 3, **extra: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=day)).date()
    return {
        "event_id": event_id,
        "summary": f"Task {event_id}",
        "description": "From Zendesk",
        "start": start.isoformat(),
        "end": (start + timedelta(days=1)).isoformat(),
        "tzid": "Europe/London",
        "transparency": "transparent",
        **extra,
    }


async def managed(client: CronofyClient, **kwargs: Any) -> dict[str, Any]:
    return {e.event_id: e async for e in client.read_events(**kwargs)}


@pytest.mark.anyio
async def test_account_userinfo_and_calendars(cronofy_sim: Sim) -> None:
    async with ada(cronofy_sim) as client:
        account = await client.account()
        info = await client.userinfo()
        calendars = {c.calendar_id: c for c in await client.list_calendars()}
    assert account.account_id == "acc_sandbox_ada"
    assert account.default_tzid == "Europe/London"
    assert info.sub == "acc_sandbox_ada"
    assert calendars[ADA_WORK].writable
    assert calendars[ADA_WORK].calendar_primary
    assert calendars[ADA_TASKS].writable
    assert not calendars[ADA_HOLIDAYS].writable
    assert not calendars["cal_sandbox_ada_old"].writable


@pytest.mark.anyio
async def test_upsert_read_update_delete(cronofy_sim: Sim) -> None:
    async with ada(cronofy_sim) as client:
        await client.upsert_event(ADA_TASKS, task_event("zd-1"))
        await client.upsert_event(ADA_TASKS, task_event("zd-1", summary="Renamed"))
        events = await managed(client, calendar_ids=[ADA_TASKS])
        assert list(events) == ["zd-1"]
        assert events["zd-1"].summary == "Renamed"
        assert not events["zd-1"].deleted

        await client.delete_event(ADA_TASKS, "zd-1")
        await client.delete_event(ADA_TASKS, "never-existed")  # a no-op, not an error
        after = await managed(client, calendar_ids=[ADA_TASKS])
        assert after["zd-1"].deleted
        assert "zd-1" not in await managed(client, include_deleted=False)
        with pytest.raises(NotFound):
            await client.delete_event("cal_nobody_knows", "zd-1")


@pytest.mark.anyio
async def test_invalid_events_and_read_only_calendars_are_invalid(cronofy_sim: Sim) -> None:
    async with ada(cronofy_sim) as client:
        with pytest.raises(Invalid) as missing:
            await client.upsert_event(
                ADA_TASKS, {"event_id": "zd-2", "start": "2030-01-01", "end": "2030-01-02"}
            )
        with pytest.raises(Invalid) as readonly:
            await client.upsert_event(ADA_HOLIDAYS, task_event("zd-3"))
    assert missing.value.status == 422
    assert missing.value.errors["summary"][0]["key"] == "errors.required"
    assert "calendar_id" in readonly.value.errors


@pytest.mark.anyio
@pytest.mark.parametrize(
    "cronofy_sim_config",
    [
        {"page_size": 3},
        # The last page says "next_page": "" (as pycronofy's recorded fixture does).
        {"page_size": 3, "last_page_next_page": "empty"},
    ],
    ids=["next_page_absent", "next_page_empty"],
)
async def test_read_events_follows_next_page(cronofy_sim: Sim) -> None:
    async with ada(cronofy_sim) as client:
        await client.batch(
            [BatchEntry.upsert(ADA_TASKS, task_event(f"zd-{n}", day=n)) for n in range(1, 8)]
        )
        cronofy_sim.post("/stats/reset")
        events = await managed(client)
    assert sorted(events) == [f"zd-{n}" for n in range(1, 8)]
    routes = cronofy_sim.get("/stats")["by_route"]
    assert sum(n for route, n in routes.items() if route.startswith("GET /v1/events")) == 3


@pytest.mark.anyio
async def test_batch_reports_each_entry_and_refuses_oversize(cronofy_sim: Sim) -> None:
    async with ada(cronofy_sim) as client:
        results = await client.batch(
            [
                BatchEntry.upsert(ADA_TASKS, task_event("zd-10")),
                BatchEntry.upsert(
                    ADA_TASKS, {"event_id": "zd-11", "start": "2030-01-01", "end": "2030-01-02"}
                ),
                BatchEntry.delete(ADA_TASKS, "zd-12"),
            ]
        )
        cronofy_sim.post("/stats/reset")
        with pytest.raises(BatchTooLarge, match="at most 50"):
            await client.batch([BatchEntry.delete(ADA_TASKS, f"zd-{n}") for n in range(51)])
        assert await client.batch([]) == []
        stored = await managed(client)
    assert [r.status for r in results] == [202, 422, 202]
    assert [r.ok for r in results] == [True, False, True]
    assert "summary" in results[1].errors
    assert cronofy_sim.get("/stats")["requests"] == 1  # only the read: nothing oversize sent
    assert list(stored) == ["zd-10"]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str | None]]]]:
    """A real HTTP endpoint that records what is POSTed to it (our callback URL)."""
    received: list[tuple[bytes, str | None]] = []

    async def record(request: Request) -> Response:
        received.append((await request.body(), request.headers.get(SIGNATURE_HEADER)))
        return Response(status_code=200)

    with ServerThread(
        Starlette(routes=[Route("/hooks/{account}", record, methods=["POST"])])
    ) as server:
        yield server.base_url, received


@pytest.mark.anyio
async def test_channels_and_signed_notifications(
    cronofy_sim: Sim, receiver: tuple[str, list[tuple[bytes, str | None]]]
) -> None:
    base, received = receiver
    async with ada(cronofy_sim) as client:
        channel = await client.create_channel(
            f"{base}/hooks/acc_sandbox_ada", calendar_ids=[ADA_TASKS]
        )
        assert channel.channel_id.startswith("chn_")
        assert channel.filters["only_managed"] is True
        assert [c.channel_id for c in await client.list_channels()] == [channel.channel_id]
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        await client.close_channel(channel.channel_id)
        assert await client.list_channels() == []
    body, signature = received[0]
    assert b"verification" in body
    assert verify_notification(CLIENT_SECRET, body, signature)
    assert not verify_notification("another-secret", body, signature)


@pytest.mark.anyio
async def test_oauth_code_flow_and_revocation(cronofy_sim: Sim) -> None:
    redirect = "http://127.0.0.1:8765/oauth/cronofy/callback"
    url = cronofy_oauth.authorize_url(cronofy_sim.base_url, CLIENT_ID, redirect, state="s1")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        decision = await browser.post(
            f"{cronofy_sim.base_url}/oauth/authorize",
            data={**form, "account_id": "acc_sandbox_bob", "decision": "allow"},
        )
        code = parse_qs(urlsplit(decision.headers["location"]).query)["code"][0]
        tokens = await cronofy_oauth.exchange_code(
            browser,
            cronofy_sim.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            code=code,
            redirect_uri=redirect,
        )
    assert tokens.account_id == "acc_sandbox_bob"
    assert tokens.expires_at is not None
    async with httpx.AsyncClient() as http, ada(cronofy_sim, tokens=tokens, http=http) as client:
        assert (await client.account()).account_id == "acc_sandbox_bob"
        await cronofy_oauth.revoke(
            http,
            cronofy_sim.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token=tokens.refresh_token,
        )
        with pytest.raises(TokenRefreshFailed):  # 401, and the refresh is refused too
            await client.account()


@pytest.mark.anyio
async def test_expired_token_is_refreshed_once_and_rotation_handed_over(cronofy_sim: Sim) -> None:
    handed: list[CronofyTokens] = []

    async def store(tokens: CronofyTokens) -> None:
        handed.append(tokens)

    async with ada(cronofy_sim, on_tokens=store) as client:
        await client.list_calendars()
        cronofy_sim.faults(clock_offset_seconds=7200)  # Cronofy thinks our token expired
        await asyncio.gather(*(client.list_calendars() for _ in range(4)))
        assert client.tokens.refresh_token != "sandbox-refresh-ada"
    assert len(handed) == 1  # four concurrent 401s, one refresh
    assert handed[0].access_token != "sandbox-access-ada"
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenRefreshFailed):
            await cronofy_oauth.refresh(
                http,
                cronofy_sim.base_url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                refresh_token="sandbox-refresh-ada",
            )


@pytest.mark.anyio
@pytest.mark.parametrize("cronofy_sim_config", [{"refresh_token_mode": "same"}])
async def test_a_refresh_answering_the_same_refresh_token_hands_it_over(
    cronofy_sim: Sim,
) -> None:
    handed: list[CronofyTokens] = []
    async with ada(cronofy_sim, on_tokens=handed.append) as client:
        cronofy_sim.faults(clock_offset_seconds=7200)
        await client.list_calendars()
        cronofy_sim.faults(clock_offset_seconds=4 * 7200)
        await client.list_calendars()  # refreshed again with the same refresh token
    assert [t.refresh_token for t in handed] == ["sandbox-refresh-ada"] * 2
    assert len({t.access_token for t in handed}) == 2


@pytest.mark.anyio
async def test_locked_account_needs_relink(cronofy_sim: Sim) -> None:
    cronofy_sim.post("/accounts/acc_sandbox_ada/lock")
    async with ada(cronofy_sim) as client:
        with pytest.raises(Locked, match="relink") as caught:
            await client.list_calendars()
    assert caught.value.status == 423


# Fault knobs and limits ----------------------------------------------------------------


@pytest.mark.anyio
async def test_survives_error_rate(cronofy_sim: Sim) -> None:
    cronofy_sim.faults(error_rate=0.4, seed=5)
    sleep = RecordingSleep()
    async with ada(
        cronofy_sim, sleep=sleep, policy=RetryPolicy(max_attempts=10, max_total_wait=600)
    ) as client:
        for n in range(10):
            await client.upsert_event(ADA_TASKS, task_event(f"zd-{n}"))
        cronofy_sim.faults(error_rate=0.0)
        assert len(await managed(client)) == 10
    assert sleep.delays


@pytest.mark.anyio
async def test_survives_a_burst_of_429_without_retry_after(cronofy_sim: Sim) -> None:
    cronofy_sim.faults(burst_429=4)
    sleep = RecordingSleep()
    async with ada(cronofy_sim, sleep=sleep) as client:
        results = await client.batch([BatchEntry.upsert(ADA_TASKS, task_event("zd-1"))])
    assert [r.status for r in results] == [202]
    assert len(sleep.delays) == 4  # exponential backoff with jitter: no Retry-After here
    assert all(0 <= d <= 0.5 * 2**n for n, d in enumerate(sleep.delays))


@pytest.mark.anyio
async def test_latency_within_timeout_is_survived_beyond_it_is_unreachable(
    cronofy_sim: Sim,
) -> None:
    cronofy_sim.faults(latency_ms=150)
    async with ada(cronofy_sim) as client:
        began = time.monotonic()
        await client.list_calendars()
        assert time.monotonic() - began >= 0.15
    sleep = RecordingSleep()
    async with ada(
        cronofy_sim, timeout=0.05, sleep=sleep, policy=RetryPolicy(max_attempts=2)
    ) as client:
        with pytest.raises(Unreachable):
            await client.list_calendars()
    assert len(sleep.delays) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("cronofy_sim_config", [{"requests_per_second": 10}])
async def test_a_shared_limiter_keeps_two_accounts_under_the_application_limit(
    cronofy_sim: Sim,
) -> None:
    limiter = Budgets.local().rate("cronofy:app", [Rate(10, 1.0)])
    bob = CronofyTokens(access_token="sandbox-access-bob", refresh_token="sandbox-refresh-bob")
    async with (
        ada(cronofy_sim, limiter=limiter, policy=RetryPolicy(max_attempts=1)) as a,
        ada(cronofy_sim, tokens=bob, limiter=limiter, policy=RetryPolicy(max_attempts=1)) as b,
    ):
        await asyncio.gather(*(c.list_calendars() for c in (a, b) for _ in range(10)))
    assert cronofy_sim.get("/stats")["by_status"] == {"200": 20}
