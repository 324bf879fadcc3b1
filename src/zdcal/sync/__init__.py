"""The sync engine: change feeds -> domain planner -> calendar backend -> store."""

from zdcal.sync.engine import AccountSync
from zdcal.sync.report import RequestCounter, SyncReport

__all__ = ["AccountSync", "RequestCounter", "SyncReport"]
