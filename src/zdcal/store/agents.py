"""Agents: who they are in Zendesk, their calendar connection, and how their events look.

``zendesk_user_id`` is what the rest of zdcal calls an agent id (the domain's
``AgentTarget.agent_id``, ``calendar_entries.agent_id``); ``Agent.id`` is zdcal's own
row id, handy in web sessions and URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zdcal.clock import Clock
from zdcal.domain import effective_time_zone
from zdcal.store.columns import fit_text
from zdcal.store.errors import AgentNotFound
from zdcal.store.mail_outbox import MailOutbox
from zdcal.store.statements import dialect_insert, execute_write
from zdcal.store.tables import DEFAULT_CALENDAR_BACKEND, AgentRow, AgentStatus
from zdcal.store.vault import Vault


class EventStyleOptions(TypedDict, total=False):
    """An agent's event style choices as stored (JSON); absent keys mean the defaults.

    Validated and turned into ``zdcal.domain.EventStyle`` by the caller.
    """

    all_day: bool
    local_time: str  # "HH:MM" in the agent's time zone, for timed events
    duration_minutes: int
    reminders_minutes: list[int]
    private: bool


@dataclass(frozen=True)
class CalendarTokens:
    """OAuth tokens for the agent's calendar account (Cronofy)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None


@dataclass(frozen=True)
class CalDAVAccount:
    """A CalDAV account: where its calendars live, whose they are and the app password."""

    url: str
    """The calendar home (found by discovery), or the server URL it was found from."""
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Agent:
    """An agent, tokens decrypted."""

    id: int
    account_id: int
    zendesk_user_id: int
    name: str
    email: str
    time_zone: str  # IANA, as Zendesk reports it
    time_zone_override: str | None  # IANA, chosen by the agent in zdcal
    calendar_account_id: str | None  # the backend's id of the connected calendar account
    data_center: str | None  # Cronofy data center of that account
    tokens: CalendarTokens | None
    calendar_id: str | None
    calendar_name: str | None
    style: EventStyleOptions
    status: AgentStatus
    status_reason: str | None
    status_since: datetime
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime
    channel_id: str | None = None
    channel_resource_id: str | None = None
    """What the push channel watches, in the service's ids (Google: to stop it)."""
    channel_expires_at: datetime | None = None
    """When the service stops pushing on the channel by itself (None: never)."""
    events_read_at: datetime | None = None
    two_way: bool | None = None  # None: the account's default
    calendar_backend: str = DEFAULT_CALENDAR_BACKEND  # a name in zdcal.calendars.registry
    caldav: CalDAVAccount | None = None  # a CalDAV account, instead of tokens
    read_state: str | None = None
    """How far the backend read the calendar's changes, in its own terms (CalDAV: the
    sync token or CTag of each calendar); None: never read, or a backend without one."""

    @property
    def has_credentials(self) -> bool:
        """zdcal holds what opens the agent's calendar account (tokens or a password)."""
        return self.tokens is not None or self.caldav is not None

    @property
    def effective_time_zone(self) -> str:
        """The time zone events are placed in (:func:`zdcal.domain.effective_time_zone`)."""
        return effective_time_zone(self.time_zone, self.time_zone_override)

    @property
    def can_receive_events(self) -> bool:
        """Active, holding credentials, with a calendar chosen: zdcal can write to it."""
        return (
            self.status is AgentStatus.ACTIVE
            and self.has_credentials
            and self.calendar_id is not None
        )


STATUS_REASON_LIMIT = 500  # the column's size; reasons are short plain words anyway


class Agents:
    """Reads and writes ``agents``. Does not commit: the caller owns the transaction."""

    def __init__(
        self, session: AsyncSession, vault: Vault, clock: Clock, outbox: MailOutbox
    ) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock
        self._outbox = outbox  # reconnect mails are queued with the status change

    async def upsert_profile(
        self,
        account_id: int,
        zendesk_user_id: int,
        *,
        name: str,
        email: str,
        time_zone: str,
    ) -> Agent:
        """Add an agent, or refresh the Zendesk profile fields of a known one.

        A new agent starts ``disconnected`` (no calendar yet); an existing agent keeps its
        calendar connection, choices and status.
        """
        now = self._clock.now()
        profile = {"name": name, "email": email, "time_zone": time_zone, "updated_at": now}
        insert = dialect_insert(self._session, AgentRow).values(
            account_id=account_id,
            zendesk_user_id=zendesk_user_id,
            style={},
            status=AgentStatus.DISCONNECTED.value,
            status_since=now,
            created_at=now,
            **profile,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["account_id", "zendesk_user_id"], set_=profile
        ).returning(AgentRow.id)
        agent_id = (await self._session.execute(statement)).scalar_one()
        return await self._require(agent_id)

    async def get(self, agent_id: int) -> Agent | None:
        """The agent with zdcal row id ``agent_id``, or ``None``."""
        return await self._one(AgentRow.id == agent_id)

    async def get_by_user(self, account_id: int, zendesk_user_id: int) -> Agent | None:
        """The agent for a Zendesk user of an account, or ``None``."""
        return await self._one(
            (AgentRow.account_id == account_id) & (AgentRow.zendesk_user_id == zendesk_user_id)
        )

    async def for_account(self, account_id: int) -> list[Agent]:
        """Every agent of an account, by name."""
        return await self._many(AgentRow.account_id == account_id)

    async def list_active_with_calendar(self, account_id: int) -> list[Agent]:
        """The agents zdcal can write events for: active, with credentials and a calendar."""
        return await self._many(
            (AgentRow.account_id == account_id)
            & (AgentRow.status == AgentStatus.ACTIVE.value)
            & (
                AgentRow.access_token_encrypted.is_not(None)
                | AgentRow.caldav_password_encrypted.is_not(None)
            )
            & AgentRow.calendar_id.is_not(None)
        )

    async def with_channel_expiring(self, account_id: int, before: datetime) -> list[Agent]:
        """The account's agents whose push channel expires before ``before``."""
        return await self._many(
            (AgentRow.account_id == account_id)
            & AgentRow.channel_id.is_not(None)
            & (AgentRow.channel_expires_at <= before)
        )

    async def connect(
        self,
        agent_id: int,
        *,
        calendar_account_id: str,
        data_center: str,
        tokens: CalendarTokens | CalDAVAccount,
        calendar_backend: str = DEFAULT_CALENDAR_BACKEND,
    ) -> None:
        """Store a fresh calendar authorization (OAuth tokens, or a CalDAV account) and
        make the agent active; the other kind of credentials is forgotten.

        Connecting a different calendar account (or backend) forgets the chosen
        calendar and how far it was read: they belong to the previous account.
        """
        current = await self._require(agent_id)
        credentials = (
            {**self._token_columns(tokens), **_NO_CALDAV}
            if isinstance(tokens, CalendarTokens)
            else {**self._caldav_columns(tokens), **_NO_TOKENS}
        )
        changes: dict[str, Any] = {
            "calendar_backend": calendar_backend,
            "calendar_account_id": calendar_account_id,
            "data_center": data_center,
            **credentials,
            **self._status_columns(AgentStatus.ACTIVE, None),
        }
        if (current.calendar_account_id != calendar_account_id
                or current.calendar_backend != calendar_backend):
            changes |= {"calendar_id": None, "calendar_name": None, "calendar_read_state": None}
        await self._update(agent_id, **changes)

    async def disconnect(self, agent_id: int, reason: str | None = None) -> None:
        """Forget the agent's calendar credentials and mark them disconnected."""
        await self._update(
            agent_id,
            **_NO_TOKENS,
            **_NO_CALDAV,
            calendar_read_state=None,
            **self._status_columns(AgentStatus.DISCONNECTED, reason),
        )

    async def set_tokens(self, agent_id: int, tokens: CalendarTokens) -> None:
        """Store rotated tokens (Cronofy may change the refresh token on every refresh)."""
        await self._update(agent_id, **self._token_columns(tokens))

    async def set_status(self, agent_id: int, status: AgentStatus, reason: str | None) -> None:
        """Change the agent's status, e.g. ``needs_reconnect`` after a 423 or a failed refresh.

        ``status_since`` only moves when the status actually changes. A change to
        ``needs_reconnect`` queues the agent's reconnect mail in this same transaction:
        one mail per breakage, however many syncs (or servers) meet the broken calendar.
        """
        columns = self._status_columns(status, reason)
        # Conditional, so that of two transactions changing the status only one sees the
        # change (PostgreSQL re-checks the condition after waiting for the other).
        changed = await execute_write(
            self._session,
            update(AgentRow)
            .where(AgentRow.id == agent_id, AgentRow.status != status.value)
            .values(**columns, updated_at=columns["status_since"])
            .execution_options(synchronize_session=False),
        )
        if not changed:
            await self._update(agent_id, status_reason=_short(reason))
        elif status is AgentStatus.NEEDS_RECONNECT:
            agent = await self._require(agent_id)
            await self._outbox.add_reconnect(
                agent.account_id, agent.zendesk_user_id, agent.status_since
            )

    async def set_calendar(self, agent_id: int, calendar_id: str, calendar_name: str) -> None:
        """Choose the calendar the agent's task events are written to."""
        await self._update(agent_id, calendar_id=calendar_id, calendar_name=calendar_name)

    async def set_read_state(self, agent_id: int, state: str | None) -> None:
        """How far the backend read the agent's calendar changes (its own terms)."""
        await self._update(agent_id, calendar_read_state=state)

    async def forget_calendar(self, agent_id: int) -> None:
        """Unchoose the agent's calendar: nothing is written for them until they choose."""
        await self._update(agent_id, calendar_id=None, calendar_name=None)

    async def set_style(self, agent_id: int, style: EventStyleOptions) -> None:
        """Replace the agent's event style options."""
        await self._update(agent_id, style=dict(style))

    async def set_time_zone_override(self, agent_id: int, time_zone: str | None) -> None:
        """Place events in ``time_zone`` (IANA) instead of Zendesk's; ``None`` stops that."""
        await self._update(agent_id, time_zone_override=time_zone)

    async def set_channel(
        self,
        agent_id: int,
        channel_id: str | None,
        *,
        resource_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """Remember the agent's push channel (None: closed or not created)."""
        await self._update(
            agent_id, channel_id=channel_id, channel_resource_id=resource_id,
            channel_expires_at=expires_at,
        )

    async def set_events_read_at(self, agent_id: int, moment: datetime) -> None:
        """How far the agent's calendar changes were read."""
        await self._update(agent_id, events_read_at=moment)

    async def set_two_way(self, agent_id: int, enabled: bool | None) -> None:
        """The agent's own two-way switch; None follows the account's default."""
        await self._update(agent_id, two_way=enabled)

    async def mark_synced(self, agent_id: int) -> None:
        """Remember that the agent's calendar was brought up to date now."""
        await self._update(agent_id, last_synced_at=self._clock.now())

    async def remove(self, agent_id: int) -> None:
        """Forget an agent, and with them their calendar entries."""
        statement = delete(AgentRow).where(AgentRow.id == agent_id)
        if await execute_write(self._session, statement) == 0:
            raise AgentNotFound(f"no agent {agent_id}")

    def _token_columns(self, tokens: CalendarTokens) -> dict[str, Any]:
        return {
            "access_token_encrypted": self._vault.encrypt(tokens.access_token),
            "refresh_token_encrypted": self._vault.encrypt(tokens.refresh_token),
            "token_expires_at": tokens.expires_at,
        }

    def _caldav_columns(self, account: CalDAVAccount) -> dict[str, Any]:
        return {
            "caldav_url": account.url,
            "caldav_username": account.username,
            "caldav_password_encrypted": self._vault.encrypt(account.password),
        }

    def _status_columns(self, status: AgentStatus, reason: str | None) -> dict[str, Any]:
        return {
            "status": status.value,
            "status_reason": _short(reason),
            "status_since": self._clock.now(),
        }

    async def _update(self, agent_id: int, **values: Any) -> None:
        statement = (
            update(AgentRow)
            .where(AgentRow.id == agent_id)
            .values(**values, updated_at=self._clock.now())
            .execution_options(synchronize_session=False)
        )
        if await execute_write(self._session, statement) == 0:
            raise AgentNotFound(f"no agent {agent_id}")

    async def _require(self, agent_id: int) -> Agent:
        agent = await self.get(agent_id)
        if agent is None:
            raise AgentNotFound(f"no agent {agent_id}")
        return agent

    async def _one(self, condition: Any) -> Agent | None:
        row = await self._session.scalar(
            select(AgentRow).where(condition).execution_options(populate_existing=True)
        )
        return None if row is None else self._from_row(row)

    async def _many(self, condition: Any) -> list[Agent]:
        rows = await self._session.scalars(
            select(AgentRow)
            .where(condition)
            .order_by(AgentRow.name, AgentRow.id)
            .execution_options(populate_existing=True)
        )
        return [self._from_row(row) for row in rows]

    def _from_row(self, row: AgentRow) -> Agent:
        tokens = None
        if row.access_token_encrypted is not None and row.refresh_token_encrypted is not None:
            tokens = CalendarTokens(
                access_token=self._vault.decrypt(row.access_token_encrypted),
                refresh_token=self._vault.decrypt(row.refresh_token_encrypted),
                expires_at=row.token_expires_at,
            )
        caldav = None
        if (row.caldav_url is not None and row.caldav_username is not None
                and row.caldav_password_encrypted is not None):
            caldav = CalDAVAccount(
                row.caldav_url, row.caldav_username,
                self._vault.decrypt(row.caldav_password_encrypted),
            )
        return Agent(
            id=row.id,
            account_id=row.account_id,
            zendesk_user_id=row.zendesk_user_id,
            name=row.name,
            email=row.email,
            time_zone=row.time_zone,
            time_zone_override=row.time_zone_override,
            calendar_account_id=row.calendar_account_id,
            data_center=row.data_center,
            tokens=tokens,
            calendar_id=row.calendar_id,
            calendar_name=row.calendar_name,
            style=cast(EventStyleOptions, dict(row.style)),
            status=AgentStatus(row.status),
            status_reason=row.status_reason,
            status_since=row.status_since,
            last_synced_at=row.last_synced_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            channel_id=row.channel_id,
            channel_resource_id=row.channel_resource_id,
            channel_expires_at=row.channel_expires_at,
            events_read_at=row.events_read_at,
            two_way=row.two_way,
            calendar_backend=row.calendar_backend,
            caldav=caldav,
            read_state=row.calendar_read_state,
        )


_NO_TOKENS: dict[str, Any] = {
    "access_token_encrypted": None, "refresh_token_encrypted": None, "token_expires_at": None,
}
_NO_CALDAV: dict[str, Any] = {
    "caldav_url": None, "caldav_username": None, "caldav_password_encrypted": None,
}


def _short(reason: str | None) -> str | None:
    return None if reason is None else fit_text(reason, STATUS_REASON_LIMIT)
