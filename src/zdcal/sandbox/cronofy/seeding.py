"""Seeds: the accounts, calendars, events and ready tokens a simulator starts with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from zdcal.sandbox.cronofy import assumptions
from zdcal.sandbox.cronofy.errors import SeedError
from zdcal.sandbox.cronofy.event_times import (
    EventTimeError,
    format_instant,
    parse_event_time,
    zone_named,
)
from zdcal.sandbox.cronofy.model import Account, Calendar, StoredEvent
from zdcal.sandbox.cronofy.store import SandboxState, new_id

_EVENT_REFERENCE_KEYS = ("calendar_id", "calendar_name", "event_uid", "deleted")


def default_seed(now: datetime) -> dict[str, Any]:
    """Two agents, each with a writable primary and second calendar, a read-only and a
    deleted one, and a few of their own (non-managed) events around ``now``."""
    day = now.date()

    def own_events(prefix: str) -> list[dict[str, Any]]:
        return [
            {
                "calendar_name": f"{prefix} (work)",
                "summary": "Team stand-up",
                "start": f"{day + timedelta(days=1)}T09:00:00Z",
                "end": f"{day + timedelta(days=1)}T09:15:00Z",
            },
            {
                "calendar_name": "Public holidays",
                "summary": "Bank holiday",
                "start": str(day + timedelta(days=7)),
                "end": str(day + timedelta(days=8)),
            },
        ]

    def agent(key: str, name: str, tzid: str, provider: str) -> dict[str, Any]:
        return {
            "account_id": f"acc_sandbox{key}",
            "email": f"{name.split()[0].lower()}@example.test",
            "name": name,
            "default_tzid": tzid,
            "provider_name": provider,
            "access_token": f"sandbox-access-{name.split()[0].lower()}",
            "refresh_token": f"sandbox-refresh-{name.split()[0].lower()}",
            "calendars": [
                {
                    "calendar_id": f"cal_sandbox{key}_work",
                    "calendar_name": f"{name} (work)",
                    "primary": True,
                },
                {"calendar_id": f"cal_sandbox{key}_tasks", "calendar_name": "Zendesk tasks"},
                {
                    "calendar_id": f"cal_sandbox{key}_holidays",
                    "calendar_name": "Public holidays",
                    "readonly": True,
                },
                {
                    "calendar_id": f"cal_sandbox{key}_old",
                    "calendar_name": "Old project",
                    "deleted": True,
                },
            ],
            "events": own_events(name),
        }

    return {
        "accounts": [
            agent("_ada", "Ada Agent", "Europe/London", "google"),
            agent("_bob", "Bob Builder", "America/New_York", "office365"),
        ]
    }


def _text(entry: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value:
        raise SeedError(f"{where}: {key} must be a non-empty string")
    return value


def _seed_calendars(state: SandboxState, account: Account, entries: object) -> None:
    if not isinstance(entries, list) or not entries:
        raise SeedError(f"account {account.email}: calendars must be a non-empty list")
    for index, entry in enumerate(entries):
        where = f"account {account.email} calendar {index}"
        if not isinstance(entry, dict):
            raise SeedError(f"{where}: must be a mapping")
        calendar = Calendar(
            calendar_id=_text(entry, "calendar_id", where, new_id("cal_")),
            account_id=account.account_id,
            name=_text(entry, "calendar_name", where),
            readonly=bool(entry.get("readonly", False)),
            deleted=bool(entry.get("deleted", False)),
            primary=bool(entry.get("primary", False)),
        )
        try:
            state.add_calendar(calendar)
        except ValueError as exc:
            raise SeedError(f"{where}: {exc}") from exc


def _seed_event(
    state: SandboxState, account: Account, entry: object, now: datetime, where: str
) -> None:
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: must be a mapping")
    calendars = state.calendars_of(account)
    wanted_id, wanted_name = entry.get("calendar_id"), entry.get("calendar_name")
    matches = [
        c
        for c in calendars
        if (wanted_id is None or c.calendar_id == wanted_id)
        and (wanted_name is None or c.name == wanted_name)
    ]
    if wanted_id is None and wanted_name is None:
        matches = [c for c in calendars if c.primary] or calendars[:1]
    if not matches:
        raise SeedError(f"{where}: no calendar {wanted_id or wanted_name!r} in this account")
    try:
        start, end = parse_event_time(entry.get("start")), parse_event_time(entry.get("end"))
    except EventTimeError as exc:
        raise SeedError(f"{where}: {exc.description}") from exc
    body = {k: v for k, v in entry.items() if k not in _EVENT_REFERENCE_KEYS}
    _text(body, "summary", where)
    state.add_event(
        StoredEvent(
            calendar_id=matches[0].calendar_id,
            event_uid=_text(entry, "event_uid", where, new_id("evt_external_")),
            event_id=None,
            body=body,
            start=start,
            end=end,
            created=now,
            updated=now,
            user_modified=now,
            deleted=bool(entry.get("deleted", False)),
        )
    )


def _seed_account(
    state: SandboxState, entry: object, index: int, now: datetime, token_ttl: int
) -> Account:
    where = f"account {index}"
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: must be a mapping")
    tzid = _text(entry, "default_tzid", where, "Etc/UTC")
    if zone_named(tzid) is None:
        raise SeedError(f"{where}: unknown default_tzid {tzid!r}")
    account = Account(
        account_id=_text(entry, "account_id", where, new_id("acc_")),
        email=_text(entry, "email", where),
        name=_text(entry, "name", where),
        default_tzid=tzid,
        provider_name=_text(entry, "provider_name", where, assumptions.DEFAULT_PROVIDER_NAME),
        profile_id=new_id("pro_"),
    )
    try:
        state.add_account(account)
        _seed_calendars(state, account, entry.get("calendars"))
        grant = state.issue_grant(
            account.account_id,
            _text(entry, "scope", where, assumptions.DEFAULT_SCOPE),
            entry.get("refresh_token"),
        )
        state.issue_access_token(
            grant, now + timedelta(seconds=token_ttl), entry.get("access_token")
        )
    except ValueError as exc:
        raise SeedError(f"{where}: {exc}") from exc
    events = entry.get("events") or []
    if not isinstance(events, list):
        raise SeedError(f"{where}: events must be a list")
    for number, event in enumerate(events):
        _seed_event(state, account, event, now, f"{where} event {number}")
    return account


def apply_seed(state: SandboxState, seed: object, now: datetime, token_ttl: int) -> list[Account]:
    """Add the seed's accounts (with a ready authorization each) to ``state``."""
    if not isinstance(seed, dict) or not isinstance(seed.get("accounts"), list):
        raise SeedError('a seed is {"accounts": [...]}')
    return [
        _seed_account(state, entry, index, now, token_ttl)
        for index, entry in enumerate(seed["accounts"])
    ]


def describe_account(state: SandboxState, account: Account, now: datetime) -> dict[str, Any]:
    """An account as the control API shows it, with its live tokens (this is a sandbox)."""
    grants = []
    for grant in state.grants_of(account.account_id):
        live = [(t, e) for t, e in grant.access_tokens.items() if e > now]
        token, expires = max(live, key=lambda item: item[1]) if live else (None, None)
        grants.append(
            {
                "scope": grant.scope,
                "refresh_token": grant.refresh_token,
                "access_token": token,
                "access_token_expires_at": format_instant(expires) if expires else None,
            }
        )
    first = grants[0] if grants else {}
    return {
        "account_id": account.account_id,
        "email": account.email,
        "name": account.name,
        "default_tzid": account.default_tzid,
        "provider_name": account.provider_name,
        "profile_id": account.profile_id,
        "locked": account.locked,
        "access_token": first.get("access_token"),
        "refresh_token": first.get("refresh_token"),
        "grants": grants,
        "calendars": [
            {
                "calendar_id": c.calendar_id,
                "calendar_name": c.name,
                "readonly": c.readonly,
                "deleted": c.deleted,
                "primary": c.primary,
            }
            for c in state.calendars_of(account)
        ],
        "channels": [c.to_json() for c in state.channels_of(account.account_id)],
    }
