"""The zdcal command line. Each command group lives in its own module, imported only when
that command runs (see ``zdcal.cli.base.COMMANDS``)."""

from __future__ import annotations

from zdcal.cli.base import main

__all__ = ["main"]
