"""The background work of zdcal: one body per kind of job, two ways to schedule them.

:mod:`zdcal.jobs.bodies` holds what each job does (drain an account's notifications,
read its agents' calendar changes, sweep, verify, renew channels, ...). They are run

* in-process by :class:`zdcal.jobs.inprocess.Workers` (SQLite: the single-machine
  default), or
* by procrastinate workers on PostgreSQL (:mod:`zdcal.jobs.queued`): any number of
  ``zdcal worker`` processes, or the one inside ``zdcal serve``.

The web tier and the CLI see either through :class:`zdcal.jobs.scheduler.Scheduler`.
"""
