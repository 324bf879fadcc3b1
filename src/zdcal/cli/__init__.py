"""The zdcal command line. Each command group lives in its own module."""

from __future__ import annotations

# Importing the command modules registers their commands on ``main``.
import zdcal.cli.accounts
import zdcal.cli.agents
import zdcal.cli.db
import zdcal.cli.demo
import zdcal.cli.sandbox
import zdcal.cli.serve
import zdcal.cli.status
import zdcal.cli.sync  # noqa: F401
from zdcal.cli.base import main

__all__ = ["main"]
