"""Bootstrap and teardown: idempotent, self-repairing, and clear about permissions."""

from __future__ import annotations

import pytest
from live_support import Live, bootstrap
from world import World

from zdcal.live.bootstrap import BootstrapError


def zendesk_objects(world: World) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    state = world.zd.get("/_sandbox/state").json()
    return state["webhooks"], state["triggers"]


def test_running_twice_creates_nothing_twice(live: Live) -> None:
    again = live.bootstrap()
    assert again.created == []
    assert sorted(again.repaired) == ["trigger", "webhook"]
    webhooks, triggers = zendesk_objects(live.world)
    assert len(webhooks) == 1
    assert len(triggers) == 1
    (webhook,) = webhooks
    assert webhook["endpoint"].startswith(f"{live.url}/webhooks/zendesk/")  # type: ignore[union-attr]
    assert webhook["subscriptions"] == ["conditional_ticket_events"]
    (trigger,) = triggers
    action = trigger["actions"][0]  # type: ignore[index]
    assert action["field"] == "notification_webhook"
    assert "{{ticket.id}}" in action["value"][1]


def test_a_manually_deleted_trigger_is_recreated(live: Live) -> None:
    (trigger,), webhook_count = zendesk_objects(live.world)[1], len(zendesk_objects(live.world)[0])
    assert live.world.zd.delete(f"/api/v2/triggers/{trigger['id']}").status_code == 204
    result = live.bootstrap()
    assert result.created == ["trigger"]
    webhooks, triggers = zendesk_objects(live.world)
    assert len(triggers) == 1
    assert len(webhooks) == webhook_count


def test_objects_are_found_by_their_marker_when_ids_were_lost(live: Live) -> None:
    async def forget(runtime):  # type: ignore[no-untyped-def]
        account = await live.world._account(runtime)
        async with runtime.store.transaction() as tx:
            await tx.accounts.set_trigger(account.id, None)
        return account

    live.world.run(forget)
    result = live.bootstrap()
    assert result.created == []
    assert len(zendesk_objects(live.world)[1]) == 1


def test_a_non_admin_token_gets_a_message_naming_the_permission(live: Live) -> None:
    async def as_agent(runtime):  # type: ignore[no-untyped-def]
        from zdcal.store import ZendeskApiToken

        account = await live.world._account(runtime)
        async with runtime.store.transaction() as tx:
            await tx.accounts.set_credentials(
                account.id, ZendeskApiToken("nia@sandbox.example", "sandbox-nia-token")
            )

    live.world.run(as_agent)
    with pytest.raises(BootstrapError, match="admin"):
        bootstrap(live.world, live.url)


def test_teardown_removes_both(live: Live) -> None:
    from zdcal.live.bootstrap import teardown_account
    from zdcal.live.services import Services

    async def work(runtime):  # type: ignore[no-untyped-def]
        services = Services(runtime)
        try:
            account = await live.world._account(runtime)
            return await teardown_account(services, account.id)
        finally:
            await services.close()

    assert sorted(live.world.run(work)) == ["trigger", "webhook"]
    assert zendesk_objects(live.world) == ([], [])


def test_status_reports_webhook_and_trigger_health(live: Live) -> None:
    from zdcal.cli.status import zendesk_health
    from zdcal.runtime import Runtime

    async def health(runtime: Runtime) -> tuple[str, str]:
        return await zendesk_health(runtime, await live.world._account(runtime))

    webhook, trigger = live.world.run(health)
    assert webhook.endswith(" active")
    assert trigger.endswith(" active")
    (found,) = zendesk_objects(live.world)[1]
    live.world.zd.delete(f"/api/v2/triggers/{found['id']}")
    assert "missing in Zendesk" in live.world.run(health)[1]
