"""A broken calendar is noticed: the agent gets one mail with a one-click reconnect link.

The whole product over real HTTP and real SMTP: zdcal's server with its workers, both
simulators, and a mail sink (aiosmtpd) on a free loopback port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_stack import (
    NIA,
    Stack,
    connect_calendar,
    cronofy_consent,
    open_stack,
    signed_in_client,
)

from zdcal.sandbox.mail_sink import MailSink

NIA_EMAIL = "nia@sandbox.example"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


def _smtp(sink: MailSink) -> dict[str, object]:
    return {"smtp_host": sink.host, "smtp_port": sink.port, "smtp_security": "none",
            "smtp_from": "zdcal <zdcal@example.com>"}


def _break_by_task(stack: Stack, subject: str) -> None:
    """Give Nia a task: the next sweep meets her broken calendar."""
    stack.create_task(NIA, "2030-03-01T17:00:00Z", subject)
    stack.advance_zendesk(61)


def test_one_mail_per_breakage_and_the_link_reconnects(tmp_path: Path, sink: MailSink) -> None:
    with open_stack(tmp_path, overrides=_smtp(sink)) as stack:
        client = signed_in_client(stack, NIA)
        assert connect_calendar(stack, client, "ada").headers["location"] == "/agent"
        assert "Your tasks are in" in client.get("/agent").text
        assert sink.messages == []

        stack.revoke_calendar("acc_sandbox_ada")
        _break_by_task(stack, "Call the broken calendar's owner")
        (mail,) = sink.wait_for(1, timeout=30)
        link = f"{stack.url}/agent/reconnect?account=sandbox"
        assert mail.recipients == (NIA_EMAIL,)
        assert "Reconnect your calendar" in mail.subject
        assert link in mail.text
        assert f'href="{link}"' in mail.html
        assert "Nia" in mail.text

        # More syncs meet the same breakage: no second mail.
        _break_by_task(stack, "Another task while broken")
        time.sleep(3)  # several sweeps and mail rounds (both run every 0.2-1 s)
        assert len(sink.messages) == 1

        # The link, for a browser that is not signed in: sign in first, then come back.
        with httpx.Client(base_url=stack.url, timeout=30) as stranger:
            answer = stranger.get(link)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin?account=sandbox&next=reconnect"

        # Signed in: one click leads to Cronofy's consent, and back connected.
        to_cronofy = client.get(link)
        assert to_cronofy.status_code == 303
        assert to_cronofy.headers["location"].startswith(stack.sandbox.cronofy.base_url)
        back = cronofy_consent(stack, to_cronofy.headers["location"], "acc_sandbox_ada")
        assert client.get(back).headers["location"] == "/agent"
        assert "Your tasks are in" in client.get("/agent").text
        # Connected again, the link just shows the agent page.
        assert client.get(link).headers["location"] == "/agent"

        # A new breakage is a new mail.
        stack.revoke_calendar("acc_sandbox_ada")
        _break_by_task(stack, "A task after the second breakage")
        assert len(sink.wait_for(2, timeout=30)) == 2
        client.close()


def test_without_smtp_nothing_is_sent_and_sync_goes_on(tmp_path: Path, sink: MailSink) -> None:
    with open_stack(tmp_path) as stack:
        client = signed_in_client(stack, NIA)
        connect_calendar(stack, client, "ada")
        stack.revoke_calendar("acc_sandbox_ada")
        _break_by_task(stack, "Nobody is told by mail")
        deadline = time.monotonic() + 30
        while "Reconnect your calendar" not in client.get("/agent").text:
            assert time.monotonic() < deadline, "the breakage was never noticed"
            time.sleep(0.2)
        assert not any("mail" in line.split(":")[0] for line in stack.logs.lines)
        assert sink.messages == []
        client.close()
