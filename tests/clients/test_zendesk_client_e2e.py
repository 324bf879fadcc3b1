"""The Zendesk client end to end over real HTTP against the Zendesk simulator."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from clients.conftest import Sim
from clients.remote_script import RecordingSleep
from zdcal.http import RetryPolicy
from zdcal.http.oauth import make_pkce_pair
from zdcal.zendesk import (
    ApiTokenAuth,
    Forbidden,
    Invalid,
    NotFound,
    OAuthAuth,
    OAuthTokens,
    TokenRefreshFailed,
    Unreachable,
    ZendeskClient,
)
from zdcal.zendesk import oauth as zendesk_oauth

ADMIN = ApiTokenAuth("admin@sandbox.example", "sandbox-admin-token")
AGENT = ApiTokenAuth("nia@sandbox.example", "sandbox-nia-token")
NIA, KENJI = 1002, 1003
REDIRECT_URI = "http://127.0.0.1:8765/oauth/zendesk/callback"


def admin_client(sim: Sim, **kwargs: Any) -> ZendeskClient:
    return ZendeskClient(sim.base_url, ADMIN, **kwargs)


def task_fields(subject: str, assignee: int = NIA, **extra: Any) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return {
        "type": "task",
        "subject": subject,
        "comment": {"body": f"{subject}, please."},
        "assignee_id": assignee,
        "due_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


@pytest.mark.anyio
async def test_account_localization(zendesk_sim: Sim) -> None:
    async with ZendeskClient(zendesk_sim.base_url, AGENT) as client:
        localization = await client.account_localization()
    assert (localization.time_zone, localization.iana_time_zone) == ("UTC", "Etc/UTC")


@pytest.mark.anyio
async def test_users(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        me = await client.me()
        nia = await client.show_user(NIA)
        many = await client.show_many_users([NIA, KENJI, 987654])
    assert me.email == "admin@sandbox.example"
    assert me.is_admin
    assert nia.iana_time_zone == "America/New_York"
    assert nia.is_agent
    assert sorted(u.id or 0 for u in many) == [NIA, KENJI]


@pytest.mark.anyio
async def test_list_users_by_role(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        admins, more_admins = await client.users_with_roles(["admin"], most=1000)
        agents, _ = await client.users_with_roles(["agent"], most=1000)
        first, more = await client.users_with_roles(["agent", "admin"], most=1)
    assert [u.email for u in admins] == ["admin@sandbox.example"]
    assert not more_admins
    assert NIA in {u.id for u in agents}
    assert all(u.role == "agent" for u in agents)
    assert len(first) == 1
    assert more


@pytest.mark.anyio
async def test_ticket_lifecycle(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        created = await client.create_ticket(task_fields("Call back"))
        assert created.is_task
        assert created.assignee_id == NIA
        assert isinstance(created.due_at, datetime)

        updated = await client.update_ticket(created.id, {"assignee_id": KENJI, "priority": "high"})
        assert (updated.assignee_id, updated.priority) == (KENJI, "high")
        assert updated.updated_at is not None
        assert created.updated_at is not None

        shown = await client.show_many_tickets([created.id, 424242])
        assert [t.id for t in shown] == [created.id]

        await client.delete_ticket(created.id)
        with pytest.raises(NotFound) as caught:
            await client.show_ticket(created.id)
        assert caught.value.code == "RecordNotFound"
        assert await client.show_many_tickets([created.id]) == []

        await client.restore_ticket(created.id)
        assert (await client.show_ticket(created.id)).assignee_id == KENJI


@pytest.mark.anyio
async def test_closed_ticket_refuses_updates_with_details(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        ticket = await client.create_ticket(task_fields("Wrap up"))
        await client.update_ticket(ticket.id, {"status": "solved"})
        zendesk_sim.post(f"/tickets/{ticket.id}/close")
        with pytest.raises(Invalid) as caught:
            await client.update_ticket(ticket.id, {"priority": "low"})
    assert caught.value.status == 422
    assert "closed prevents ticket update" in caught.value.field_descriptions("status")[0]


@pytest.mark.anyio
async def test_incremental_export_reads_to_end_of_stream(zendesk_sim: Sim) -> None:
    start = int(time.time()) - 3600
    async with admin_client(zendesk_sim) as client:
        ids = [(await client.create_ticket(task_fields(f"Task {n}"))).id for n in range(5)]
        await client.delete_ticket(ids[0])
        zendesk_sim.post("/clock", {"advance_seconds": 120})  # the newest minute is withheld

        seen: dict[int, str | None] = {}
        pages = 0
        page = await client.incremental_tickets_page(start_time=start, per_page=2)
        while True:
            pages += 1
            seen.update({t.id: t.status for t in page.tickets})
            if page.end_of_stream:
                break
            page = await client.incremental_tickets_page(cursor=page.after_cursor, per_page=2)
        assert page.after_cursor  # kept for the next poll
        without_deleted = await client.incremental_tickets_page(
            start_time=start, exclude_deleted=True
        )
        export_limit = client.endpoint_rate_limits.get("incremental-exports")
    assert set(seen) == set(ids)
    assert seen[ids[0]] == "deleted"
    assert pages >= 3
    assert ids[0] not in {t.id for t in without_deleted.tickets}
    # Real Zendesk announces the export's 10/min by no header (recorded): nothing to read.
    assert export_limit is None


@pytest.mark.anyio
async def test_search_export_and_search(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        ids = {(await client.create_ticket(task_fields(f"Open task {n}"))).id for n in range(5)}
        solved = await client.create_ticket(task_fields("Done task"))
        await client.update_ticket(solved.id, {"status": "solved"})
        pages = [
            p async for p in client.search_export("ticket_type:task status<solved", page_size=2)
        ]
        first = await client.search("type:ticket ticket_type:task status<solved", 1)
    assert {t.id for p in pages for t in p.tickets} == ids
    assert len(pages) == 3
    assert {t.id for t in first.tickets()} == ids
    assert first.count == len(ids)


@pytest.mark.anyio
async def test_webhooks(zendesk_sim: Sim) -> None:
    spec = {
        "name": "zdcal ticket changes",
        "endpoint": "https://zdcal.example/hooks/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {
            "type": "bearer_token",
            "data": {"token": "hook-secret"},
            "add_position": "header",
        },
    }
    async with admin_client(zendesk_sim) as client:
        hook = await client.create_webhook(spec)
        assert hook.is_active
        assert len(hook.id) == 26
        assert "hook-secret" not in hook.model_dump_json()
        await client.create_webhook({**spec, "name": "someone else's"})
        assert [h.id for h in await client.list_webhooks(name_contains="zdcal")] == [hook.id]
        await client.update_webhook(hook.id, {**spec, "status": "inactive"})
        assert not (await client.show_webhook(hook.id)).is_active

        secret = await client.webhook_signing_secret(hook.id)
        assert secret.algorithm == "SHA256"
        assert secret.secret not in repr(secret)
        renewed = await client.reset_webhook_signing_secret(hook.id)
        assert renewed.secret != secret.secret
        assert (await client.webhook_signing_secret(hook.id)).secret == renewed.secret

        await client.delete_webhook(hook.id)
        with pytest.raises(NotFound):
            await client.show_webhook(hook.id)


@pytest.mark.anyio
async def test_trigger_categories_and_triggers(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        hook = await client.create_webhook(
            {
                "name": "zdcal",
                "endpoint": "https://zdcal.example/hooks/zendesk",
                "http_method": "POST",
                "request_format": "json",
                "status": "active",
                "subscriptions": ["conditional_ticket_events"],
            }
        )
        categories = await client.list_trigger_categories()
        ours = await client.create_trigger_category("zdcal")
        assert ours.id not in {c.id for c in categories}
        assert ours.id in {c.id for c in await client.list_trigger_categories()}

        conditions = {
            "all": [{"field": "type", "operator": "is", "value": "task"}],
            "any": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "update_type", "operator": "is", "value": "Change"},
            ],
        }
        actions = [
            {"field": "notification_webhook", "value": [hook.id, '{"ticket_id": "{{ticket.id}}"}']}
        ]
        trigger = await client.create_trigger(
            {
                "title": "zdcal: task changed",
                "active": True,
                "category_id": ours.id,
                "conditions": conditions,
                "actions": actions,
            }
        )
        assert trigger.category_id == ours.id
        assert trigger.actions == actions
        listed = await client.list_triggers(category_id=ours.id)
        assert [t.id for t in listed] == [trigger.id]

        changed = await client.update_trigger(
            trigger.id,
            {
                "title": "zdcal: tasks",
                "conditions": conditions,
                "actions": actions,
                "active": False,
            },
        )
        assert changed.title == "zdcal: tasks"
        assert changed.active is False
        assert (await client.show_trigger(trigger.id)).title == "zdcal: tasks"
        await client.delete_trigger(trigger.id)
        with pytest.raises(NotFound):
            await client.show_trigger(trigger.id)


@pytest.mark.anyio
async def test_agent_is_forbidden_admin_work_with_a_useful_message(zendesk_sim: Sim) -> None:
    async with ZendeskClient(zendesk_sim.base_url, AGENT) as client:
        assert (await client.me()).role == "agent"
        with pytest.raises(Forbidden, match="needs an admin") as caught:
            await client.list_webhooks()
        with pytest.raises(Forbidden, match="needs an admin"):
            await client.incremental_tickets_page(start_time=int(time.time()) - 3600)
    assert caught.value.status == 403
    assert "sandbox-nia-token" not in str(caught.value)


@pytest.mark.anyio
async def test_rate_limit_headers_are_read(zendesk_sim: Sim) -> None:
    async with admin_client(zendesk_sim) as client:
        await client.me()
        await client.me()
    assert client.rate_limit is not None
    assert client.rate_limit.limit == 700
    assert client.rate_limit.remaining is not None
    assert client.rate_limit.remaining < 700


# OAuth ---------------------------------------------------------------------------------


async def authorize_as(sim: Sim, user_id: int, challenge: str, scope: str) -> str:
    """Walk the consent page as a browser would and return the authorization code."""
    url = zendesk_oauth.authorize_url(
        sim.base_url, "zdcal", REDIRECT_URI, scope, "st8", code_challenge=challenge
    )
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        assert "Allow" in page.text
        form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        decision = await browser.post(
            f"{sim.base_url}/oauth/authorizations/new",
            data={**form, "user_id": str(user_id), "decision": "allow"},
        )
    assert decision.status_code == 302
    query = parse_qs(urlsplit(decision.headers["location"]).query)
    assert query["state"] == ["st8"]
    return query["code"][0]


@pytest.mark.anyio
async def test_oauth_code_flow_then_expiry_refresh_and_rotation(zendesk_sim: Sim) -> None:
    pair = make_pkce_pair()
    code = await authorize_as(zendesk_sim, 1001, pair.challenge, "read write")
    async with httpx.AsyncClient() as http:
        tokens = await zendesk_oauth.exchange_code(
            http,
            zendesk_sim.base_url,
            client_id="zdcal",
            client_secret="zdcal-sandbox-secret",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=pair.verifier,
        )
    assert tokens.refresh_token
    assert tokens.expires_at is not None

    handed: list[OAuthTokens] = []
    auth = OAuthAuth(
        tokens.access_token,
        tokens.refresh_token,
        tokens.expires_at,
        "zdcal",
        "zdcal-sandbox-secret",
    )
    async with ZendeskClient(zendesk_sim.base_url, auth, on_tokens=handed.append) as client:
        assert (await client.me()).id == 1001
        # Zendesk's clock runs two hours ahead: our token is dead there, alive for us.
        zendesk_sim.faults(clock_offset_seconds=7200)
        assert (await client.me()).id == 1001
    assert len(handed) == 1
    assert handed[0].refresh_token not in (None, tokens.refresh_token)

    assert tokens.refresh_token is not None
    async with httpx.AsyncClient() as http:
        with pytest.raises(TokenRefreshFailed):  # rotated away: the old one is dead
            await zendesk_oauth.refresh(
                http,
                zendesk_sim.base_url,
                client_id="zdcal",
                client_secret="zdcal-sandbox-secret",
                refresh_token=tokens.refresh_token,
            )


# Fault knobs ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_survives_error_rate(zendesk_sim: Sim) -> None:
    zendesk_sim.faults(error_rate=0.4, seed=11)
    sleep = RecordingSleep()
    policy = RetryPolicy(max_attempts=10, max_total_wait=600)
    async with admin_client(zendesk_sim, sleep=sleep, policy=policy) as client:
        users = [await client.show_user(NIA) for _ in range(15)]
    assert all(u.id == NIA for u in users)
    assert sleep.delays  # some 503s were met and waited out


@pytest.mark.anyio
async def test_survives_a_burst_of_429_honouring_retry_after(zendesk_sim: Sim) -> None:
    zendesk_sim.faults(burst_429=3)
    sleep = RecordingSleep()
    async with admin_client(zendesk_sim, sleep=sleep) as client:
        # Even the non-idempotent create is resent: a 429 means nothing happened.
        ticket = await client.create_ticket(task_fields("After the storm"))
    assert sleep.delays == [1.0, 1.0, 1.0]
    state = zendesk_sim.get("/state")
    assert [t["id"] for t in state["tickets"]] == [ticket.id]


@pytest.mark.anyio
async def test_latency_within_timeout_is_survived_beyond_it_is_unreachable(
    zendesk_sim: Sim,
) -> None:
    zendesk_sim.faults(latency_ms=150)
    async with admin_client(zendesk_sim, timeout=5.0) as client:
        began = time.monotonic()
        assert (await client.me()).is_admin
        assert time.monotonic() - began >= 0.15
    sleep = RecordingSleep()
    async with admin_client(
        zendesk_sim, timeout=0.05, sleep=sleep, policy=RetryPolicy(max_attempts=2)
    ) as client:
        with pytest.raises(Unreachable, match="ReadTimeout"):
            await client.me()
    assert len(sleep.delays) == 1
