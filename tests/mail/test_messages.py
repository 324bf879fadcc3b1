"""The mails' words: the link, plain words, and everything from outside escaped in HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime

from zdcal.mail import (
    AccountSummary,
    BrokenCalendar,
    FailingTicket,
    reconnect_message,
    reconnect_url,
    summary_message,
)


def test_the_reconnect_mail_has_the_link_in_both_parts_and_escapes_names() -> None:
    link = reconnect_url("https://zdcal.example.com", "acme")
    assert link == "https://zdcal.example.com/agent/reconnect?account=acme"
    message = reconnect_message(
        sender="zdcal <zdcal@example.com>", to="ann@acme.example",
        agent_name="Ann <script>alert(1)</script>", subdomain="acme",
        reason="calendar access was lost", link=link,
    )
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert link in text.get_content()
    assert "calendar access was lost" in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert "<script>" not in html.get_content()
    assert "Ann &lt;script&gt;" in html.get_content()
    assert message["To"] == "ann@acme.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.com>")


def test_the_summary_lists_a_limited_number_and_counts_the_rest() -> None:
    since = datetime(2026, 3, 1, tzinfo=UTC)
    summary = AccountSummary(
        subdomain="acme", day=date(2026, 3, 8),
        broken_calendars=[BrokenCalendar("Ann & Co", "ann@acme.example", "revoked", since)],
        failing_tickets=[FailingTicket(n, "<b>too long</b>", 2) for n in range(1, 26)],
        admin_url="https://zdcal.example.com/admin",
    )
    message = summary_message(sender="zdcal@example.com", to=["a@acme.example",
                                                             "b@acme.example"],
                              summary=summary)
    assert message["Subject"] == "zdcal for acme: 1 calendar to reconnect, 25 tickets failing"
    assert message["To"] == "a@acme.example, b@acme.example"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "- #20: <b>too long</b> (2 attempts)" in text.get_content()
    assert "#21" not in text.get_content()
    assert "- and 5 more" in text.get_content()
    assert "Ann &amp; Co" in html.get_content()
    assert "&lt;b&gt;too long&lt;/b&gt;" in html.get_content()
