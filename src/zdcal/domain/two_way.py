"""Two-way: whether an agent's calendar changes update Zendesk.

Each agent chooses "on", "off", or "default" (follow the account's setting, which is on
unless an admin turned it off). The store keeps the choice as ``True``/``False``/``None``
(``None``: the account's default decides); the pages and the CLI speak the three words.
"""

from __future__ import annotations

from enum import StrEnum

from zdcal.domain.errors import InvalidTwoWayChoice


class TwoWayChoice(StrEnum):
    """An agent's own setting for "calendar changes update Zendesk"."""

    ON = "on"
    OFF = "off"
    DEFAULT = "default"

    @classmethod
    def parse(cls, text: str) -> TwoWayChoice:
        """The choice a form field or argument names; :class:`InvalidTwoWayChoice` else."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidTwoWayChoice(
                f"{text!r} is not a two-way setting; choose on, off or default"
            ) from None

    @classmethod
    def of(cls, stored: bool | None) -> TwoWayChoice:
        """The choice an agent row's ``two_way`` column holds."""
        if stored is None:
            return cls.DEFAULT
        return cls.ON if stored else cls.OFF

    @property
    def stored(self) -> bool | None:
        """What :meth:`zdcal.store.Agents.set_two_way` takes for this choice."""
        if self is TwoWayChoice.DEFAULT:
            return None
        return self is TwoWayChoice.ON


def two_way_in_effect(agent_setting: bool | None, account_default: bool) -> bool:
    """Whether the agent's calendar changes update Zendesk (the rule the sync applies)."""
    return account_default if agent_setting is None else agent_setting


def describe_two_way(agent_setting: bool | None, account_default: bool) -> str:
    """In words, for lists: "on (account default)", "off (own setting)"."""
    state = "on" if two_way_in_effect(agent_setting, account_default) else "off"
    origin = "account default" if agent_setting is None else "own setting"
    return f"{state} ({origin})"
