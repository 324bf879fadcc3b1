"""Guesses about CalDAV servers zdcal has not met, each with its reason.

Everything here was chosen without a real iCloud, Fastmail, Nextcloud or Google server
at hand; Radicale 3.9 and Xandikos 0.4.10 (run by the tests) agree with each choice. When
a real server disagrees, change the value here and the reason beside it.
"""

from __future__ import annotations

from zdcal.calendars.caldav.multistatus import DAV, name

WRITE_PRIVILEGES: tuple[frozenset[str], ...] = (
    frozenset({name(DAV, "all")}),
    frozenset({name(DAV, "write")}),
    frozenset({name(DAV, "write-content"), name(DAV, "bind")}),
    # Servers that grant write-content alone on a shared calendar still accept new
    # objects in practice (RFC 3744 says bind is needed to add members; some servers
    # only list write-content): guess that write-content is enough.
    frozenset({name(DAV, "write-content")}),
)
"""Any one of these sets of ``current-user-privilege-set`` privileges makes a calendar
writable for zdcal (RFC 3744: ``write`` aggregates ``bind`` and ``write-content``)."""

ASSUME_WRITABLE_WITHOUT_PRIVILEGES = True
"""A calendar whose server does not report ``current-user-privilege-set`` (the property
is optional, RFC 3744 5.4) is offered as writable: the first write then tells, and a
refusal is shown as such, rather than hiding a calendar the agent can use."""

SYNC_UNSUPPORTED_STATUSES = frozenset({400, 403, 405, 415, 501})
"""Statuses of an *initial* (token-less) ``sync-collection`` REPORT that mean "this
server has no RFC 6578": poll it by CTag and etags instead. Servers without the REPORT
answer 501 (not implemented), 405, 403 (``supported-report`` precondition, RFC 3253) or
400/415 (unknown body); none of these can be a stale-token answer, there being no token."""

BASIC_AUTH_ONLY = True
"""Credentials go as HTTP Basic with every request: iCloud, Fastmail and Nextcloud take
app passwords that way (over HTTPS only); Digest is left out until a server needs it."""

SAME_ORIGIN_REDIRECTS_ONLY = False
"""Discovery follows ``/.well-known/caldav`` redirects to another host too (iCloud sends
clients to a ``pNN-caldav.icloud.com`` host), and the credentials go with them: the user
typed the first host, and the redirect comes from it. Unconfirmed for iCloud here."""

OBJECT_PRECONDITIONS = frozenset(
    {
        "supported-calendar-data", "valid-calendar-data", "valid-calendar-object-resource",
        "supported-calendar-component", "no-uid-conflict", "calendar-collection-location-ok",
        "max-resource-size", "min-date-time", "max-date-time", "max-instances",
        "max-attendees-per-instance",
    }
)  # fmt: skip
"""RFC 4791 5.3.2.1's PUT preconditions: a refusal naming one is about the object, not a
changed ETag, whatever the status. Seen: Radicale answers 400 (bad data) and 409
(``no-uid-conflict``); Xandikos answers **412** with ``valid-calendar-data`` or
``no-uid-conflict``, so a 412 is :class:`ObjectChanged` only when it names none of these."""
