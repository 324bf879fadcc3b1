"""The mail outbox end to end on SQLite and PostgreSQL: breakages met by syncs, delivery
through a real SMTP server on loopback (or none listening), the daily admin summary on a
controlled clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from world import KENJI, NIA, World, calendar, due

from zdcal.clock import Clock
from zdcal.live.mail_delivery import MailDelivery
from zdcal.live.services import Services
from zdcal.mail import SmtpServer
from zdcal.runtime import Runtime
from zdcal.sandbox.mail_sink import MailSink
from zdcal.store import AgentStatus, MailKind, MailStatus
from zdcal_testing import ManualClock, free_port

SMTP_PASSWORD = "smtp-password-never-logged"


def use_smtp(world: World, port: int, *, login: bool = False) -> None:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
        "smtp_from": "zdcal <zdcal@example.com>",
    }
    if login:
        values |= {"smtp_username": "zdcal", "smtp_password": SMTP_PASSWORD}
    world.settings = world.settings.model_validate({**world.settings.model_dump(), **values})


def deliver(world: World, clock: Clock | None = None, *, rounds: int = 1) -> int:
    """``rounds`` fresh delivery loops (each one a process start), as the worker runs them."""
    server = SmtpServer.from_settings(world.settings)
    assert server is not None

    async def work() -> int:
        sent = 0
        async with await Runtime.open(world.settings, clock=clock) as runtime:
            services = Services(runtime)
            try:
                for _ in range(rounds):
                    sent += await MailDelivery(services, server).run_once()
            finally:
                await services.close()
        return sent

    return asyncio.run(work())


def outbox(world: World) -> list[tuple[MailKind, MailStatus, int]]:
    async def work(runtime: Runtime) -> list[tuple[MailKind, MailStatus, int]]:
        async with runtime.store.transaction() as tx:
            account = await tx.accounts.get_by_subdomain("sandbox")
            assert account is not None
            mails = await tx.mail.for_account(account.id)
        return [(mail.kind, status, mail.attempts) for mail, status in mails]

    return world.run(work)


def break_calendar(world: World, how: str = "revoke") -> None:
    """Break Nia's calendar (Ada's Cronofy account) and let a sync meet it."""
    world.cr.post(f"/_sandbox/accounts/acc_sandbox_ada/{how}").raise_for_status()
    world.create_task(NIA, due("2030-02-01"), f"Task after the {how}")
    world.sync()
    assert world.agent(NIA).status is AgentStatus.NEEDS_RECONNECT


def to_nia(sink: MailSink) -> list[str]:
    """The mails Nia got (the admins' summary may come too, by the real clock)."""
    return [m.text for m in sink.messages if m.recipients == ("nia@sandbox.example",)]


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(login=("zdcal", SMTP_PASSWORD)) as sink:
        yield sink


def test_each_breakage_is_mailed_once(world: World, sink: MailSink) -> None:
    use_smtp(world, sink.port, login=True)
    world.connect(NIA, "ada")
    break_calendar(world, "lock")
    world.sync()  # the same breakage again
    deliver(world, rounds=2)
    (mail,) = to_nia(sink)
    assert "http://127.0.0.1:8000/agent/reconnect?account=sandbox" in mail

    world.cr.post("/_sandbox/accounts/acc_sandbox_ada/unlock").raise_for_status()
    world.connect(NIA, "ada")  # reconnected
    deliver(world)
    assert len(to_nia(sink)) == 1
    break_calendar(world, "revoke")
    deliver(world)
    assert len(to_nia(sink)) == 2
    reconnects = [status for kind, status, _ in outbox(world) if kind is MailKind.RECONNECT]
    assert reconnects == [MailStatus.SENT, MailStatus.SENT]


def test_a_mail_for_a_breakage_repaired_before_sending_is_dropped(
    world: World, sink: MailSink
) -> None:
    use_smtp(world, sink.port, login=True)
    world.connect(NIA, "ada")
    break_calendar(world, "lock")
    world.cr.post("/_sandbox/accounts/acc_sandbox_ada/unlock").raise_for_status()
    world.connect(NIA, "ada")
    deliver(world)
    assert to_nia(sink) == []
    assert outbox(world)[0] == (MailKind.RECONNECT, MailStatus.DROPPED, 0)


def test_smtp_down_never_blocks_sync_and_the_mail_follows(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    use_smtp(world, port, login=True)
    world.connect(NIA, "ada")
    world.connect(KENJI, "bob")
    world.cr.post("/_sandbox/accounts/acc_sandbox_ada/revoke").raise_for_status()
    world.create_task(NIA, due("2030-02-01"), "Nia's task")
    kenji_task = world.create_task(KENJI, due("2030-02-02"), "Kenji's task")
    caplog.set_level(logging.DEBUG)
    world.sync()
    # Tomorrow before the summary hour: only the reconnect mail is due.
    early = ManualClock(datetime.combine(datetime.now(UTC).date() + timedelta(days=1),
                                         time(5), tzinfo=UTC))
    assert any(f"-{kenji_task}" in e for e in world.events(calendar("bob")))  # sync went on
    assert deliver(world, early) == 0
    assert outbox(world) == [(MailKind.RECONNECT, MailStatus.PENDING, 1)]
    assert "not sent (attempt 1)" in caplog.text
    assert SMTP_PASSWORD not in caplog.text

    with MailSink(port=port, login=("zdcal", SMTP_PASSWORD)) as sink:
        assert deliver(world, early) == 0  # not due yet: the backoff waits
        early.set(early.now() + timedelta(minutes=2))  # past the first step (1 minute)
        assert deliver(world, early) == 1
        assert [m.recipients for m in sink.messages] == [("nia@sandbox.example",)]
    assert outbox(world) == [(MailKind.RECONNECT, MailStatus.SENT, 1)]
    assert SMTP_PASSWORD not in caplog.text


def test_the_admins_get_one_summary_a_day_while_there_is_news(
    world: World, sink: MailSink
) -> None:
    use_smtp(world, sink.port, login=True)
    world.connect(NIA, "ada")
    break_calendar(world)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    clock = ManualClock(datetime.combine(tomorrow, time(6, 30), tzinfo=UTC))

    def summaries() -> list[str]:
        return [m.subject for m in sink.messages if m.recipients == ("admin@sandbox.example",)]

    deliver(world, clock)  # the reconnect mail; before 07:00 no summary
    assert summaries() == []
    clock.set(datetime.combine(tomorrow, time(7, 5), tzinfo=UTC))
    deliver(world, clock, rounds=2)
    clock.set(datetime.combine(tomorrow, time(15), tzinfo=UTC))
    deliver(world, clock)  # a restart later that day
    assert summaries() == ["zdcal for sandbox: 1 calendar to reconnect, 0 tickets failing"]
    (summary,) = (m for m in sink.messages if m.recipients == ("admin@sandbox.example",))
    assert "Nia Agent <nia@sandbox.example>" in summary.text
    assert "Nia Agent &lt;nia@sandbox.example&gt;" in summary.html

    clock.set(datetime.combine(tomorrow + timedelta(days=1), time(8), tzinfo=UTC))
    deliver(world, clock)
    assert len(summaries()) == 2  # still broken the next day: told again

    world.connect(NIA, "bob")  # repaired: nothing to report
    clock.set(datetime.combine(tomorrow + timedelta(days=2), time(8), tzinfo=UTC))
    deliver(world, clock)
    assert len(summaries()) == 2


def test_two_servers_queue_one_summary(world: World, sink: MailSink) -> None:
    use_smtp(world, sink.port, login=True)
    world.connect(NIA, "ada")
    break_calendar(world)
    server = SmtpServer.from_settings(world.settings)
    assert server is not None
    clock = ManualClock(datetime.combine(datetime.now(UTC).date() + timedelta(days=1),
                                         time(9), tzinfo=UTC))

    async def work() -> list[int]:
        async with await Runtime.open(world.settings, clock=clock) as runtime:
            first, second = Services(runtime), Services(runtime)
            try:
                return list(await asyncio.gather(
                    MailDelivery(first, server).queue_summaries(),
                    MailDelivery(second, server).queue_summaries(),
                ))
            finally:
                await first.close()
                await second.close()

    assert sorted(asyncio.run(work())) == [0, 1]
    kinds = [kind for kind, _, _ in outbox(world)]
    assert kinds.count(MailKind.SUMMARY) == 1


def test_a_problem_after_the_summary_hour_is_summarized_the_same_day(
    world: World, sink: MailSink
) -> None:
    use_smtp(world, sink.port)
    world.connect(NIA, "ada")
    server = SmtpServer.from_settings(world.settings)
    assert server is not None
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    clock = ManualClock(datetime.combine(tomorrow, time(7, 5), tzinfo=UTC))

    async def work() -> list[int]:
        async with await Runtime.open(world.settings, clock=clock) as runtime:
            services = Services(runtime)
            delivery = MailDelivery(services, server)
            queued = [await delivery.queue_summaries()]  # all well at 07:05
            async with runtime.store.transaction() as tx:
                account = await tx.accounts.get_by_subdomain("sandbox")
                assert account is not None
                agent = await tx.agents.get_by_user(account.id, NIA)
                assert agent is not None
                await tx.agents.set_status(agent.id, AgentStatus.NEEDS_RECONNECT, "revoked")
            for minute in (10, 16, 30):
                clock.set(datetime.combine(tomorrow, time(7, minute), tzinfo=UTC))
                queued.append(await delivery.queue_summaries())
            await services.close()
            return queued

    # Looked at again ten minutes after finding nothing, then not again that day.
    assert asyncio.run(work()) == [0, 0, 1, 0]
