"""Connecting a Zendesk account, and who may do it; removing one.

Who may connect an account (:func:`require_may_connect`): a Zendesk admin of it (zdcal
reads the account's incremental export and creates a webhook and a trigger in it), for a
subdomain on the operator's list (``ZDCAL_ZENDESK_ALLOWED_SUBDOMAINS``), at the base URL it
was first connected at. How the admin proved who they are (OAuth on the web, an API token
on the command line) is the adapter's business; the rest is here, once.

Connecting a subdomain that is already connected (at the same base URL) updates its
credentials: its key, agents, events, webhook and settings are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from zdcal.domain import AccountInfo, new_account_key, require_allowed_subdomain
from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.store import Account, AccountAlreadyExists, Agent, Store, ZendeskCredentials
from zdcal.sync.report import SyncReport
from zdcal.usecases.errors import UseCaseError
from zdcal.zendesk.models import User


class ConnectRefused(UseCaseError):
    """This account cannot be connected this way."""


class NotAnAdmin(ConnectRefused):
    """The Zendesk user connecting is not an admin of the account."""


class ConnectedElsewhere(ConnectRefused):
    """The subdomain is already connected at another base URL."""


def standard_base_url(subdomain: str) -> str:
    """Where Zendesk serves ``subdomain``'s API."""
    return f"https://{subdomain}.zendesk.com"


def valid_subdomain(text: str) -> str:
    """``text`` as a subdomain (stripped, lowercase); :class:`zdcal.domain.InvalidSubdomain`
    when it is not a DNS label."""
    subdomain = text.strip().lower()
    AccountInfo(key=new_account_key(), subdomain=subdomain)  # the domain owns the rule
    return subdomain


def require_may_connect(subdomain: str, user: User, settings: Settings) -> int:
    """Refuse unless ``user`` may connect ``subdomain``; returns their Zendesk user id.

    Raises :class:`zdcal.domain.SubdomainNotAllowed` or :class:`NotAnAdmin`.
    """
    require_allowed_subdomain(subdomain, settings.zendesk_allowed_subdomains)
    if not user.is_admin or user.id is None:
        who = user.email or user.name or "This user"
        raise NotAnAdmin(
            f"{who} is a Zendesk {user.role or 'user'}, not an admin of {subdomain}: only a "
            "Zendesk admin can connect the account (zdcal reads its incremental export and "
            "creates a webhook and a trigger in it)"
        )
    return user.id


async def check_connectable(
    store: Store, settings: Settings, subdomain: str, base_url: str
) -> None:
    """What can be refused before Zendesk is asked: a subdomain outside the operator's
    list, or one already connected at another base URL.

    Raises :class:`zdcal.domain.SubdomainNotAllowed` or :class:`ConnectedElsewhere`.
    """
    require_allowed_subdomain(subdomain, settings.zendesk_allowed_subdomains)
    async with store.transaction() as tx:
        existing = await tx.accounts.get_by_subdomain(subdomain)
    _require_same_base_url(existing, subdomain, base_url)


@dataclass(frozen=True)
class ConnectedAccount:
    """What connecting did."""

    account: Account
    reconnected: bool  # the subdomain was connected already; its credentials were replaced
    admin_agent: Agent | None  # the admin's own agent row, when asked for


async def connect_account(
    store: Store,
    settings: Settings,
    *,
    subdomain: str,
    base_url: str,
    admin: User,
    credentials: ZendeskCredentials,
    record_admin_as_agent: bool = False,
) -> ConnectedAccount:
    """Connect ``subdomain`` with ``admin``'s ``credentials``, or update the credentials
    of the account already connected there, in one transaction.

    ``record_admin_as_agent`` also keeps the admin's agent profile (the web signs them in).
    The caller then has zdcal bootstrapped and the account backfilled.
    """
    admin_id = require_may_connect(subdomain, admin, settings)
    async with store.transaction() as tx:
        existing = await tx.accounts.get_by_subdomain(subdomain)
        _require_same_base_url(existing, subdomain, base_url)
        if existing is None:
            try:
                account = await tx.accounts.add(
                    subdomain=subdomain, base_url=base_url, admin_email=admin.email or "",
                    credentials=credentials,
                )
            except AccountAlreadyExists:  # connected meanwhile: the next attempt updates it
                raise ConnectRefused(
                    f"{subdomain} was connected at the same moment; try again"
                ) from None
        else:
            await tx.accounts.set_credentials(existing.id, credentials)
            account = await tx.accounts.get(existing.id) or existing
        agent = None
        if record_admin_as_agent:
            agent = await tx.agents.upsert_profile(
                account.id, admin_id, name=admin.name or admin.email or f"user {admin_id}",
                email=admin.email or "", time_zone=admin.iana_time_zone or "Etc/UTC",
            )
    return ConnectedAccount(account, existing is not None, agent)


async def remove_account(runtime: Runtime, account: Account, *, keep_events: bool) -> int:
    """Remove ``account``: its agents' task events (unless ``keep_events``), then all
    zdcal keeps for it. Returns how many events could not be removed."""
    left = 0
    if not keep_events:
        async with runtime.sync_session(account, SyncReport()) as sync:
            async with runtime.store.transaction() as tx:
                agents = await tx.agents.for_account(account.id)
            for agent in agents:
                if agent.can_receive_events:
                    left += await sync.clear_agent(agent.zendesk_user_id)
    async with runtime.store.transaction() as tx:
        await tx.accounts.remove(account.id)
    return left


def _require_same_base_url(existing: Account | None, subdomain: str, base_url: str) -> None:
    # Otherwise anyone could point a connected account at a server they control.
    if existing is not None and existing.base_url != base_url:
        raise ConnectedElsewhere(
            f"{subdomain} is already connected with another base URL; reconnect it with "
            "the same one."
        )
