"""Sending the outbox: reconnect mails to agents and each account's daily admin summary.

Nothing here runs inside a sync. The sync (or a page) records the breakage and its mail
in one transaction (:meth:`zdcal.store.Agents.set_status`); this loop, in the worker,
claims due mails, composes each from the state of the moment and hands it to the SMTP
server. A mail that no longer says anything true is dropped (the agent reconnected, the
summary has nothing left to report); a failed send is retried with the backoff of failed
tickets. Only when SMTP is configured does the loop run, or the summaries get queued.

The admins are read from Zendesk (``/api/v2/users?role=admin``) when a summary goes:
the account's admins as Zendesk knows them now, including those who never opened zdcal.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from zdcal.live.services import Services
from zdcal.mail import (
    AccountSummary,
    BrokenCalendar,
    FailingTicket,
    MailNotSent,
    SmtpServer,
    reconnect_message,
    reconnect_url,
    summary_message,
)
from zdcal.store import Account, AgentStatus, MailKind, QueuedMail
from zdcal.zendesk.errors import ZendeskError

log = logging.getLogger(__name__)

# A claimed mail is someone's for this long; after it, a crash's mail is sent again.
CLAIM_HOLD = timedelta(minutes=5)
# Sent and dropped mails are kept this long (the summary's once-a-day key lives in them).
KEEP_FINISHED = timedelta(days=30)
# An account with nothing to report is looked at again after this long, the same day.
SUMMARY_RECHECK = timedelta(minutes=10)
# A summary not sent within a day is replaced by the next day's.
SUMMARY_LIFETIME = timedelta(days=1)
# A summary is addressed to at most this many admins (an account has a handful).
MOST_ADMINS = 1000


class MailDelivery:
    """One process's share of the mail work; :meth:`run_once` does a round of it."""

    def __init__(self, services: Services, server: SmtpServer) -> None:
        self.services = services
        self.server = server
        self._next_summary_check: dict[int, datetime] = {}  # account id -> when

    async def run_once(self) -> int:
        """Queue today's summaries that are due, send what is due; returns mails sent."""
        await self.queue_summaries()
        sent = await self.deliver_due()
        async with self.services.store.transaction() as tx:
            await tx.mail.prune(KEEP_FINISHED)
        return sent

    async def queue_summaries(self) -> int:
        """Queue each account's summary of today once the summary hour has come, when
        there is something to report. The outbox's key keeps it to one per day however
        many servers (or restarts) check; returns how many this call queued."""
        now = self.services.clock.now()
        day = now.date()
        due_from = datetime.combine(day, time(self.services.settings.mail_summary_hour),
                                    tzinfo=now.tzinfo)
        if now < due_from:
            return 0
        queued = 0
        async with self.services.store.transaction() as tx:
            accounts = await tx.accounts.all()
        for account in accounts:
            if self._next_summary_check.get(account.id, now) > now:
                continue
            summary = await self._summary(account)
            async with self.services.store.transaction() as tx:
                done = await tx.mail.has_summary(account.id, day)
                if not done and summary.has_news:
                    done = await tx.mail.add_summary(account.id, day)
                    queued += int(done)
            # Nothing to report yet: look again soon; queued: tomorrow.
            self._next_summary_check[account.id] = (
                due_from + timedelta(days=1) if done else now + SUMMARY_RECHECK
            )
        return queued

    async def deliver_due(self) -> int:
        """Send every mail whose time has come; returns how many were sent."""
        async with self.services.store.transaction() as tx:
            due = await tx.mail.claim_due(CLAIM_HOLD)
        sent = 0
        for mail in due:
            sent += await self._deliver(mail)
        return sent

    async def _deliver(self, mail: QueuedMail) -> int:
        try:
            message, obsolete = await self._compose(mail)
        except ZendeskError as exc:
            return await self._failed(mail, f"could not read the admins from Zendesk: {exc}")
        if message is None:
            async with self.services.store.transaction() as tx:
                await tx.mail.dropped(mail.id, obsolete)
            log.info("mail %s (%s) dropped: %s", mail.id, mail.kind.value, obsolete)
            return 0
        message["Date"] = format_datetime(self.services.clock.now())
        try:
            await self.server.send(message)
        except MailNotSent as exc:
            return await self._failed(mail, str(exc))
        async with self.services.store.transaction() as tx:
            await tx.mail.sent(mail.id)
        log.info("mail %s (%s) sent", mail.id, mail.kind.value)
        return 1

    async def _failed(self, mail: QueuedMail, reason: str) -> int:
        async with self.services.store.transaction() as tx:
            retry_at = await tx.mail.failed(mail.id, reason)
        log.warning("mail %s (%s) not sent (attempt %d): %s; next try at %s",
                    mail.id, mail.kind.value, mail.attempts + 1, reason,
                    retry_at.isoformat(timespec="seconds"))
        return 0

    async def _compose(self, mail: QueuedMail) -> tuple[EmailMessage | None, str]:
        """The message to send now, or ``None`` and why it is obsolete."""
        async with self.services.store.transaction() as tx:
            account = await tx.accounts.get(mail.account_id)
            agent = (
                await tx.agents.get_by_user(mail.account_id, mail.agent_id)
                if mail.agent_id is not None else None
            )
        if account is None:
            return None, "the account is gone"
        if mail.kind is MailKind.SUMMARY:
            return await self._compose_summary(mail, account)
        if agent is None:
            return None, "the agent is gone"
        if agent.status is not AgentStatus.NEEDS_RECONNECT or agent.status_since > mail.created_at:
            return None, "the agent reconnected meanwhile"
        if not agent.email:
            return None, "Zendesk gave no email address for the agent"
        link = reconnect_url(self.services.settings.public_url, account.subdomain)
        return reconnect_message(
            sender=self.server.sender, to=agent.email, agent_name=agent.name,
            subdomain=account.subdomain, reason=agent.status_reason or "access was withdrawn",
            link=link,
        ), ""

    async def _compose_summary(
        self, mail: QueuedMail, account: Account
    ) -> tuple[EmailMessage | None, str]:
        if self.services.clock.now() - mail.created_at > SUMMARY_LIFETIME:
            return None, "a newer summary replaces it"
        summary = await self._summary(account)
        if not summary.has_news:
            return None, "nothing left to report"
        admins = await self._admin_addresses(account)
        if not admins:
            return None, "Zendesk lists no active admin with an email address"
        return summary_message(sender=self.server.sender, to=admins, summary=summary), ""

    async def _summary(self, account: Account) -> AccountSummary:
        async with self.services.store.transaction() as tx:
            agents = await tx.agents.for_account(account.id)
            failures = await tx.failures.for_account(account.id)
        return AccountSummary(
            subdomain=account.subdomain,
            day=self.services.clock.now().date(),
            broken_calendars=[
                BrokenCalendar(a.name, a.email, a.status_reason or "access was withdrawn",
                               a.status_since)
                for a in agents if a.status is AgentStatus.NEEDS_RECONNECT
            ],
            failing_tickets=[FailingTicket(f.ticket_id, f.reason, f.attempts) for f in failures],
            admin_url=f"{self.services.settings.public_url}/admin",
        )

    async def _admin_addresses(self, account: Account) -> list[str]:
        zendesk = self.services.runtime.zendesk_client(account, self.services.zendesk_http)
        admins, _ = await zendesk.users_with_roles(["admin"], most=MOST_ADMINS)
        return sorted({
            u.email for u in admins
            if u.email and u.active is not False and not u.suspended
        })
