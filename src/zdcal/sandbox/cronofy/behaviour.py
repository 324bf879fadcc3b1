"""Documented variations of Cronofy's behaviour, chosen per simulator and changeable at run
time (``PUT /_sandbox/behaviour``): the shapes real Cronofy may send, not faults.

Each knob names the real shapes it switches between; assumptions.py says which sources
show each one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from zdcal.sandbox.cronofy import assumptions

REFRESH_TOKEN_MODES = ("rotate", "same")
"""``rotate``: every refresh answers a new refresh token and the used one dies at once.
``same``: the refresh answer carries the refresh token that was sent (Cronofy's example)."""

LAST_PAGE_NEXT_PAGE = ("absent", "empty")
"""How the last page of read events ends: ``pages.next_page`` left out, or ``""``."""


@dataclass
class Behaviour:
    """The behaviour knobs of one simulator."""

    refresh_token_mode: str = assumptions.REFRESH_TOKEN_MODE_DEFAULT
    last_page_next_page: str = assumptions.LAST_PAGE_NEXT_PAGE_DEFAULT
    additional_client_secrets: list[str] = field(default_factory=list)
    """Other active client secrets of the application (a secret being rotated): each adds
    its own signature, before ours, to ``Cronofy-HMAC-SHA256``."""

    def __post_init__(self) -> None:
        self._check()

    def update(self, values: dict[str, Any]) -> None:
        """Set knobs from a JSON object; unknown names or values are a ValueError and
        change nothing."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown behaviour knobs {sorted(unknown)}; known: {sorted(known)}")
        candidate = Behaviour(**{**asdict(self), **values})
        for name in known:
            setattr(self, name, getattr(candidate, name))

    def _check(self) -> None:
        if self.refresh_token_mode not in REFRESH_TOKEN_MODES:
            raise ValueError(f"refresh_token_mode must be one of {list(REFRESH_TOKEN_MODES)}")
        if self.last_page_next_page not in LAST_PAGE_NEXT_PAGE:
            raise ValueError(f"last_page_next_page must be one of {list(LAST_PAGE_NEXT_PAGE)}")
        secrets = self.additional_client_secrets
        if not isinstance(secrets, list) or not all(isinstance(s, str) and s for s in secrets):
            raise ValueError("additional_client_secrets must be a list of non-empty strings")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
