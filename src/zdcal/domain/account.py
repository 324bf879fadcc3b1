"""Which Zendesk account a ticket belongs to, and the names derived from it.

Rules decided here (the API documents are silent on them):

* Each connected Zendesk account gets an *account key* that zdcal generates once: 16
  characters of lowercase RFC 4648 base32 (``a-z``, ``2-7``) from 80 random bits. It is
  never derived from the subdomain, because a subdomain can be renamed or reused by a
  different customer later; a random key keeps event ids of two accounts apart forever.
* The Cronofy ``event_id`` of a ticket's event is ``zdcal-<account key>-<ticket id>``.
  Cronofy's upsert documentation puts no constraint on ``event_id`` beyond "a String";
  the identifiers it does constrain (``bookable_event_id``) allow only alphanumerics,
  underscore and hyphen. We stay inside ``[a-z0-9-]`` and under 64 characters so the id
  is safe for every calendar provider behind Cronofy. The key holds no hyphen and the
  ticket id only digits, so two accounts (or two tickets) can never produce the same id.
* The agent-facing link is ``<base URL>/agent/tickets/<id>``: the account's Zendesk as
  zdcal actually reaches it (``https://<subdomain>.zendesk.com`` unless the operator
  connected another base URL, such as the demo's simulator), so links land where the
  tickets are.
* Which subdomains may be connected is the operator's list (empty: any); the web's
  connect page and the CLI's ``accounts add`` both ask :func:`require_allowed_subdomain`.
* How the account's ``due_at`` values are read as dates is the account's
  :class:`~zdcal.domain.due_dates.DueDateRule` (chosen by an admin).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field

from zdcal.domain.due_dates import DueDateRule
from zdcal.domain.errors import (
    InvalidAccountKey,
    InvalidSubdomain,
    InvalidTicket,
    SubdomainNotAllowed,
)
from zdcal.domain.ids import parse_id

ACCOUNT_KEY_ENTROPY_BYTES = 10
"""80 bits: collisions between generated keys are out of reach for any real deployment."""

EVENT_ID_PREFIX = "zdcal"

_ACCOUNT_KEY = re.compile(r"[a-z0-9]{8,32}")
# A DNS label: what Zendesk accepts as a subdomain.
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """A connected Zendesk account as the rules see it.

    ``key`` is zdcal's own account key (see :func:`new_account_key`), ``subdomain`` the
    ``<subdomain>`` of ``<subdomain>.zendesk.com``, lowercase; ``base_url`` where the
    account's Zendesk is reached (empty: ``https://<subdomain>.zendesk.com``);
    ``due_dates`` how its ``due_at`` values are read as dates.
    """

    key: str
    subdomain: str
    base_url: str = ""
    due_dates: DueDateRule = field(default_factory=DueDateRule)

    def __post_init__(self) -> None:
        if not _ACCOUNT_KEY.fullmatch(self.key):
            raise InvalidAccountKey(
                f"account key {self.key!r} must be 8 to 32 characters of a-z and 0-9"
            )
        if not _SUBDOMAIN.fullmatch(self.subdomain):
            raise InvalidSubdomain(
                f"Zendesk subdomain {self.subdomain!r} must be a lowercase DNS label"
            )


def require_allowed_subdomain(subdomain: str, allowed: Collection[str]) -> None:
    """Refuse to connect a subdomain outside ``allowed`` (lowercase); empty allows any."""
    if allowed and subdomain.strip().lower() not in allowed:
        raise SubdomainNotAllowed(
            f"The Zendesk account {subdomain[:63]!r} is not one this zdcal serves: its "
            "operator lists the subdomains that may connect (ZDCAL_ZENDESK_ALLOWED_SUBDOMAINS)."
        )


def account_key_from_entropy(entropy: bytes) -> str:
    """Turn random bytes into an account key (lowercase base32 without padding)."""
    if len(entropy) < 5:
        raise InvalidAccountKey("an account key needs at least 5 bytes (40 bits) of entropy")
    return base64.b32encode(entropy).decode("ascii").rstrip("=").lower()[:32]


def new_account_key() -> str:
    """Generate the account key for a newly connected Zendesk account."""
    return account_key_from_entropy(secrets.token_bytes(ACCOUNT_KEY_ENTROPY_BYTES))


def _check_ticket_id(ticket_id: int) -> None:
    # bool is an int subclass; True as a ticket id is always a bug upstream.
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or ticket_id <= 0:
        raise InvalidTicket(f"ticket id must be a positive integer, not {ticket_id!r}")


def event_id_for(account: AccountInfo, ticket_id: int) -> str:
    """The Cronofy ``event_id`` of a ticket's event: stable, and unique across accounts."""
    _check_ticket_id(ticket_id)
    return f"{EVENT_ID_PREFIX}-{account.key}-{ticket_id}"


def ticket_id_of_event(account: AccountInfo, event_id: str) -> int | None:
    """The ticket whose event :func:`event_id_for` names ``event_id``; None for an id
    this account did not write (another account's, another app's, or none at all)."""
    prefix = f"{EVENT_ID_PREFIX}-{account.key}-"
    if not event_id.startswith(prefix):
        return None
    ticket_id = parse_id(event_id.removeprefix(prefix))
    # One spelling per ticket: "007" or " 7" is not the id zdcal wrote for ticket 7.
    if ticket_id is None or event_id_for(account, ticket_id) != event_id:
        return None
    return ticket_id


def agent_link(account: AccountInfo, ticket_id: int) -> str:
    """The ticket's page in the Zendesk agent interface."""
    _check_ticket_id(ticket_id)
    base = account.base_url.rstrip("/") or f"https://{account.subdomain}.zendesk.com"
    return f"{base}/agent/tickets/{ticket_id}"
