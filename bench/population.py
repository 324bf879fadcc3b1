"""The benchmark world: N agents known to both simulators, and zdcal set up for them.

Agents are put straight into zdcal's store (the state ``connect_agent`` leaves behind)
so that connecting 200 agents costs no API requests and no setup time under the
Cronofy rate limit: the benchmarks measure syncing, not onboarding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zdcal.runtime import Runtime
from zdcal.settings import Settings
from zdcal.store import Account, CalendarTokens, ZendeskApiToken, generate_key
from zdcal.store.tables import DEFAULT_CALENDAR_BACKEND

ADMIN_ID = 1001
ADMIN_EMAIL = "admin@bench.example"
ADMIN_TOKEN = "bench-admin-token"
FIRST_AGENT_ID = 2001
TIME_ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Berlin")


@dataclass(frozen=True)
class BenchAgent:
    """One agent: a Zendesk user and the Cronofy account holding their calendar."""

    zendesk_user_id: int
    index: int

    @property
    def email(self) -> str:
        return f"agent{self.index}@bench.example"

    @property
    def time_zone(self) -> str:
        return TIME_ZONES[self.index % len(TIME_ZONES)]

    @property
    def calendar_id(self) -> str:
        return f"cal_bench_{self.index}"

    @property
    def access_token(self) -> str:
        return f"bench-access-{self.index}"


def agents(count: int) -> list[BenchAgent]:
    return [BenchAgent(FIRST_AGENT_ID + i, i) for i in range(count)]


def scenario(
    team: list[BenchAgent],
    *,
    zendesk_settings: dict[str, Any] | None = None,
    cronofy_settings: dict[str, Any] | None = None,
    faults: dict[str, Any] | None = None,
    calendar_team: list[BenchAgent] | None = None,
) -> dict[str, Any]:
    """A scenario file's contents: the admin and agents in Zendesk, their calendars in
    Cronofy with ready tokens, simulator settings and fault knobs. ``calendar_team``:
    the agents with a Cronofy calendar, when not ``team`` (one Cronofy simulator serving
    the agents of several Zendesk accounts)."""
    users: list[dict[str, Any]] = [
        {"id": ADMIN_ID, "name": "Bench Admin", "email": ADMIN_EMAIL, "role": "admin",
         "iana_time_zone": "Etc/UTC", "api_token": ADMIN_TOKEN},
    ]
    users += [
        {"id": a.zendesk_user_id, "name": f"Agent {a.index}", "email": a.email,
         "role": "agent", "iana_time_zone": a.time_zone}
        for a in team
    ]
    accounts = [
        {"account_id": f"acc_bench_{a.index}", "email": a.email, "name": f"Agent {a.index}",
         "default_tzid": a.time_zone, "access_token": a.access_token,
         "refresh_token": f"bench-refresh-{a.index}",
         "calendars": [{"calendar_id": a.calendar_id, "calendar_name": "Work",
                        "primary": True}]}
        for a in (team if calendar_team is None else calendar_team)
    ]
    return {
        "zendesk": {"users": users},
        "cronofy": {"accounts": accounts},
        "settings": {"zendesk": zendesk_settings or {}, "cronofy": cronofy_settings or {}},
        "faults": faults or {},
    }


def zdcal_settings(data_dir: Path, cronofy_url: str) -> Settings:
    """zdcal's settings for a fresh SQLite database in ``data_dir``."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'zdcal.db'}",
        secret_key=generate_key(),
        cronofy_api_url=cronofy_url,
        cronofy_app_url=cronofy_url,
        cronofy_client_id="zdcal-sandbox",
        cronofy_client_secret="zdcal-sandbox-secret",
    )


@dataclass(frozen=True)
class CalendarLink:
    """What connecting one agent's calendar leaves in the store."""

    backend: str
    account_id: str
    tokens: CalendarTokens
    calendar_id: str
    calendar_name: str


def cronofy_link(member: BenchAgent) -> CalendarLink:
    """The agent's Cronofy account of :func:`scenario`, its calendar chosen."""
    return CalendarLink(
        DEFAULT_CALENDAR_BACKEND, f"acc_bench_{member.index}",
        CalendarTokens(member.access_token, f"bench-refresh-{member.index}", None),
        member.calendar_id, "Work",
    )


async def install(
    runtime: Runtime,
    zendesk_url: str,
    team: list[BenchAgent],
    link: Callable[[BenchAgent], CalendarLink] = cronofy_link,
    subdomain: str = "sandbox",
) -> Account:
    """Add the account and connect every agent's calendar (``link`` says which), straight
    in the store."""
    async with runtime.store.transaction() as tx:
        account = await tx.accounts.add(
            subdomain=subdomain, base_url=zendesk_url, admin_email=ADMIN_EMAIL,
            credentials=ZendeskApiToken(ADMIN_EMAIL, ADMIN_TOKEN),
        )
        for member in team:
            agent = await tx.agents.upsert_profile(
                account.id, member.zendesk_user_id, name=f"Agent {member.index}",
                email=member.email, time_zone=member.time_zone,
            )
            linked = link(member)
            await tx.agents.connect(
                agent.id, calendar_account_id=linked.account_id, data_center="us",
                tokens=linked.tokens, calendar_backend=linked.backend,
            )
            await tx.agents.set_calendar(agent.id, linked.calendar_id, linked.calendar_name)
    return account
