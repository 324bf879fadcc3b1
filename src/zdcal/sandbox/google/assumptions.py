"""Every guess the simulator makes where Google's documentation is silent or unchecked.

FACT = checked against a Google reference page or the Calendar v3 discovery document
(google-api-python-client's ``calendar.v3.json``); GUESS = our choice, with the reason.
docs/sandbox.md ("Google Calendar simulator") summarises these; change both together.
"""

from __future__ import annotations

# --- OAuth -----
ACCESS_TOKEN_TTL_SECONDS = 3599
"""FACT (OAuth web-server guide, example token response): ``"expires_in": 3599``."""

AUTHORIZATION_CODE_TTL_SECONDS = 600
"""GUESS: codes are single use and live 10 minutes (RFC 6749 §4.1.2's recommended maximum);
Google documents neither number."""

INVALID_GRANT_DESCRIPTION = "Token has been expired or revoked."
"""FACT (Google's OAuth troubleshooting pages): the text sent with ``invalid_grant`` for a
dead refresh token. The same text is used for an unknown, used or expired code (GUESS: Google
says "Malformed auth code." / "Bad Request" in some cases; clients key on ``error`` only)."""

REFRESH_TOKEN_ON_FIRST_CONSENT_ONLY = True
"""FACT (web-server guide): a refresh token comes with the first offline consent of a user for
a client, and again only with ``prompt=consent``. A refresh answers no new refresh token."""

PKCE_METHODS = ("S256", "plain")
"""FACT (web-server guide): ``code_challenge_method`` is S256 or plain, plain when omitted."""

# --- Events -----
EVENT_ID_PATTERN = r"[a-v0-9]{5,1024}"
"""FACT (Event.id in the discovery document and the events reference): base32hex characters,
5 to 1024 of them, unique per calendar."""

INVALID_EVENT_ID_REASON = "invalid"
INVALID_EVENT_ID_MESSAGE = "Invalid resource id value."
"""GUESS: an id breaking the rule above is answered 400 reason ``invalid`` (the reason Google
uses for every bad value; the exact message is observed in client bug reports, unconfirmed)."""

DUPLICATE_MESSAGE = "The requested identifier already exists."
"""FACT-ish (google-api-python-client issue 210 shows the body): 409 reason ``duplicate``.
Deleted events keep their id, so inserting a cancelled event's id is 409 too (community
reports; GUESS that it lasts forever here: the simulator never purges cancelled events)."""

DELETED_MESSAGE = "Resource has been deleted"
"""FACT-ish (issue 210 above): deleting an already-deleted event answers 410 reason
``deleted``; an id that never existed answers 404 ``notFound``."""

GET_RETURNS_CANCELLED = True
"""FACT (events.get reference, via the shared notes): a deleted event is still returned by get,
with ``"status": "cancelled"``. update/patch of a cancelled event is allowed and revives it when
the body says ``"status": "confirmed"`` (community reports; GUESS)."""

CANCELLED_IN_LIST_IS_MINIMAL = True
"""GUESS (sync guide: "cancelled items may carry only id"): in lists (showDeleted or a
syncToken) a cancelled event is ``{kind, etag, id, status, updated}``, the strictest reading,
so a client cannot come to rely on fields that Google may leave out."""

DATETIME_ALWAYS_WITH_OFFSET = True
"""FACT (discovery document: EventDateTime.dateTime is ``format: date-time``, RFC 3339, which
requires an offset): a ``dateTime`` sent without offset (allowed with ``timeZone``) is kept
and answered with that zone's offset added; one sent with an offset is kept as sent (GUESS:
Google may re-render it in the event's time zone)."""

PATCH_MERGES_OBJECTS = True
"""FACT (the "partial response / patch" guide of Google APIs): patch replaces arrays whole and
merges objects field by field; GUESS: a JSON ``null`` clears the field. So turning a timed
event all-day by patch must clear ``start.dateTime`` (``null``) as well as set ``start.date``,
otherwise the merged start holds both and is refused 400."""

UNKNOWN_FIELDS_DROPPED = True
"""GUESS: body fields the simulator does not keep (and read-only ones such as ``etag``,
``created``, ``kind``) are ignored, never echoed back, as Google ignores read-only fields."""

WRITABLE_FIELDS = (
    "summary", "description", "location", "start", "end", "reminders", "visibility",
    "transparency", "extendedProperties", "source", "status", "colorId",
)

SEQUENCE_BUMPS_ON = ("start", "end")
"""GUESS: ``sequence`` (iCalendar SEQUENCE) goes up by one when start or end change (RFC 5545
§3.8.7.4 says a "significant" change); a client-sent larger sequence is taken as is."""

ICAL_UID_SUFFIX = "@google.com"
"""FACT (observed on every Google event): ``iCalUID`` is ``<id>@google.com`` when not sent."""

REMINDERS_MAX_OVERRIDES = 5
REMINDER_MAX_MINUTES = 40_320
"""FACT (Event.reminders.overrides in the discovery document): at most 5; minutes 0..40320."""

VISIBILITY_VALUES = ("default", "public", "private", "confidential")
TRANSPARENCY_VALUES = ("opaque", "transparent")
STATUS_VALUES = ("confirmed", "tentative", "cancelled")
REMINDER_METHODS = ("email", "popup")
"""FACT (discovery document enums)."""

TIME_RANGE_EMPTY_MESSAGE = "The specified time range is empty."
"""FACT (errors guide, 400 ``timeRangeEmpty``, domain ``calendar``): also answered for an event
whose end is before its start (GUESS: Google's text for that case is unchecked)."""

# --- Lists and sync -----
EVENTS_MAX_RESULTS_DEFAULT = 250
EVENTS_MAX_RESULTS_CAP = 2500
"""FACT (events.list reference): default 250, a page never larger than 2500 (larger asks are
capped, not refused)."""

CALENDAR_LIST_MAX_RESULTS_DEFAULT = 100
CALENDAR_LIST_MAX_RESULTS_CAP = 250
"""FACT (calendarList.list reference)."""

LIST_ORDER = "change"
"""GUESS: with no ``orderBy`` Google's order is unspecified; the simulator lists in order of
last change, which keeps paging stable: an event changed while a client pages drops out of that
listing and shows up in the delta of the final ``nextSyncToken`` instead."""

FULL_SYNC_REQUIRED_REASON = "fullSyncRequired"
FULL_SYNC_REQUIRED_MESSAGE = "Sync token is no longer valid, a full sync is required."
"""FACT for the status (sync guide: "the server responds with 410" on an invalidated token);
the reason and message are from memory of the errors guide's 410 section (the stored copy we
searched cut off before it): unconfirmed. Clients must key on the status alone."""

SYNC_TOKEN_FORBIDDEN_WITH = (
    "iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
    "timeMin", "timeMax", "updatedMin",
)
"""FACT (events.list reference, ``syncToken``): these are not allowed with a sync token (400)."""

DELETED_ALWAYS_IN_DELTA = True
"""FACT (events.list reference): with ``syncToken`` or ``updatedMin`` deleted events are
included regardless of ``showDeleted``."""

# --- Auth on the API -----
EVENT_SCOPES = (
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
)
EVENT_READ_SCOPES = (
    *EVENT_SCOPES,
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
)
CALENDAR_LIST_SCOPES = (
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)
"""FACT (discovery doc scopes per method, and current reference pages adding the calendarlist
scopes): ``calendar.events`` alone does not allow ``calendarList.list``."""

UNAUTHORIZED_CHALLENGE = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
"""GUESS: the ``WWW-Authenticate`` sent with a 401 (RFC 6750 §3 shape; Google's exact value
is not documented). The body is the errors guide's 401 ``authError`` (FACT)."""

INSUFFICIENT_SCOPE_MESSAGE = "Request had insufficient authentication scopes."
"""FACT-ish (observed Google answer, 403 reason ``insufficientPermissions``); unconfirmed in the
Calendar errors guide."""

WRITE_ACCESS_ROLES = ("writer", "owner")
"""FACT (calendarList reference): only writers and owners may change events. GUESS: a write to
a reader's calendar answers 403 reason ``forbidden`` "Forbidden" (name unconfirmed)."""

DEFAULT_AND_OVERRIDES_REASON = "cannotUseDefaultRemindersAndSpecifyOverride"
DEFAULT_AND_OVERRIDES_MESSAGE = (
    "Cannot specify both default reminders and overrides at the same time."
)
"""GUESS from client bug reports: ``useDefault: true`` with overrides is a 400 with this reason.
Other bad values in an event (enum, reminder count or minutes, time zone, date format) answer
400 reason ``invalid`` with a short message naming the field (messages unconfirmed)."""

# --- events.list filters ------------------------------------------------------------------------
ALL_DAY_IN_CALENDAR_ZONE = True
"""FACT (events.list reference): ``timeMin`` is an exclusive bound on an event's end, ``timeMax``
on its start, both RFC 3339 with offset; ``timeMin >= timeMax`` is 400 ``timeRangeEmpty``.
GUESS: an all-day event spans midnight to midnight in the calendar's time zone for them."""

PRIVATE_PROPERTY_FILTER = "key=value"
"""FACT (events.list reference): ``privateExtendedProperty`` is ``propertyName=value``,
repeatable, all must match. ``orderBy=startTime`` needs ``singleEvents=true`` (400 otherwise:
FACT; message GUESS). The simulator has no recurring events, so ``singleEvents`` changes
nothing else."""

CALENDAR_LIST_NEVER_CHANGES = True
"""GUESS (a simulator limit): calendars are fixed by the config, so a live calendarList
``syncToken`` always answers no items; an expired one answers 410 like events."""

# --- Quotas -----
REQUESTS_PER_MINUTE_PER_USER = 600
REQUESTS_PER_MINUTE_PER_PROJECT = 10_000
"""FACT (Calendar "Usage limits" page, as stored in 2026): per minute per user per project 600,
per minute per project 10,000, sliding one-minute windows. Both configurable."""

QUOTA_STATUS = 403
USER_RATE_LIMIT_MESSAGE = "User Rate Limit Exceeded"
RATE_LIMIT_MESSAGE = "Rate Limit Exceeded"
"""FACT (errors guide): 403 ``userRateLimitExceeded`` and 403 or 429 ``rateLimitExceeded``,
domain ``usageLimits``, with these messages. GUESS: the per-user window answers
``userRateLimitExceeded``, the project window ``rateLimitExceeded``, both with the configured
status (403 by default; 429 selectable, as Google may send either). A call the user window
admits but the project window refuses still counts against the user."""

# --- Consent page -----
CONSENT_PAGE_IN_ONE_STEP = True
"""GUESS (a simulator simplification): Google's account chooser, sign-in and consent screens
are one page here: pick an account (no password) to allow the listed scopes, or Cancel
(``access_denied``). The scope texts are Google's descriptions as its OAuth scopes list
shows them, from memory (unchecked); an unknown scope is shown as its URL."""

MINTED_TOKENS_ARE_A_CONSENT = True
"""GUESS (sandbox only, no Google counterpart): ``POST /_sandbox/users/{email}/tokens`` acts
as an offline consent: it adds the scopes to the user's grant (a new one if none is live) and
answers a new refresh token and access token, exactly as the token endpoint would."""

# --- Faults (the control API's injected failures) -----
FAULT_REASONS: dict[str, tuple[str, str]] = {
    "backendError": ("global", "Backend Error"),
    "rateLimitExceeded": ("usageLimits", RATE_LIMIT_MESSAGE),
    "userRateLimitExceeded": ("usageLimits", USER_RATE_LIMIT_MESSAGE),
    "quotaExceeded": ("usageLimits", "Calendar usage limits exceeded."),
    "authError": ("global", "Invalid Credentials"),
    FULL_SYNC_REQUIRED_REASON: ("calendar", FULL_SYNC_REQUIRED_MESSAGE),
    "notFound": ("global", "Not Found"),
    "deleted": ("global", DELETED_MESSAGE),
    "duplicate": ("global", DUPLICATE_MESSAGE),
    "conditionNotMet": ("global", "Precondition Failed"),
    "forbidden": ("global", "Forbidden"),
    "invalid": ("global", "Invalid Value"),
}
"""Reasons an injected failure may carry, with domain and message. FACT (errors guide):
``backendError`` "Backend Error" (500), ``authError`` "Invalid Credentials" (401, location
``Authorization`` header), the two rate limits (403/429, domain ``usageLimits``). GUESS:
``quotaExceeded``'s message (the guide names the reason for Calendar usage limits, the text
is ours); the others reuse the texts the simulator answers for real (see above)."""

FAULT_DEFAULT_REASON = {
    400: "invalid", 401: "authError", 403: "rateLimitExceeded", 404: "notFound",
    409: "duplicate", 410: FULL_SYNC_REQUIRED_REASON, 412: "conditionNotMet",
    429: "rateLimitExceeded", 500: "backendError", 502: "backendError", 503: "backendError",
    504: "backendError",
}
"""The reason an injected status carries when none is named. GUESS for 502/503/504: Google's
errors guide lists only 500 ``backendError``; front ends answer 503 with the same reason in
client bug reports. A 410 defaults to ``fullSyncRequired`` (the 410 zdcal must survive on a
sync read; name ``deleted`` for the other). The random ``error_rate`` knob answers 503
``backendError``, ``burst_429`` answers 429 ``rateLimitExceeded``."""

FAULTED_PATHS = ("/calendar/v3/", "/batch/calendar/v3")
"""GUESS (a simulator choice): faults hit the Calendar API (single calls, each inner call of a
batch, and a scripted failure may hit the batch envelope itself); the OAuth endpoints answer
in OAuth's own error format, so they are never faulted here. The random knobs (error rate,
429 burst) and scripts without a path apply to each Calendar call, not to the batch envelope:
Google counts, limits and fails inner calls one by one (batch guide); a script whose path
matches ``/batch/calendar/v3`` fails the envelope itself. Latency applies to each request
that arrives over HTTP (an envelope once, not each inner call)."""

# --- Push channels -----
CHANNEL_TYPES = ("web_hook", "webhook")
"""FACT (push guide): ``type`` is ``web_hook`` (``webhook`` accepted too); ``id`` at most 64
characters. GUESS: a reused id is 400 ``channelIdNotUnique``; an ``http://`` address is accepted
(Google demands public HTTPS; the simulator delivers to loopback)."""

CHANNEL_TTL_SECONDS = 604_800
"""FACT (push guide): channels last a week unless ``expiration`` asks for less; GUESS: a longer
``expiration`` is cut to the week. Expired channels stop receiving deliveries."""

PUSH_STATES = ("sync", "exists")
"""FACT (push guide): ``sync`` first (message number 1), then ``exists`` on every change of the
watched collection; every delivery carries X-Goog-Channel-ID, -Message-Number, -Resource-ID,
-Resource-State, -Resource-URI, plus -Channel-Token and -Channel-Expiration when set. No body.
GUESS: one delivery per change; channels.stop answers 204 and needs the same user's
credentials and the channel's ``resourceId`` (404 otherwise)."""

PUSH_SUCCESS_STATUSES = (200, 201, 202, 204, 102)
PUSH_RETRIED_STATUSES = (500, 502, 503, 504)
"""FACT (push guide, "Responding to notifications"; the shared notes): a receiver acknowledges
with 200, 201, 202, 204 or 102; 500, 502, 503 and 504 are retried with exponential backoff;
every other status is a message failure and is not retried. GUESS: a delivery that gets no
answer at all (refused connection, timeout) is retried like a 5xx."""

PUSH_RETRIES = 5
PUSH_RETRY_BASE_SECONDS = 1.0
"""GUESS (Google publishes neither number): up to 5 retries after the first attempt, waiting
1, 2, 4, 8, 16 s (base doubled each time, no jitter, so tests can predict it). Both are
config fields. A retry is the same message: same ``X-Goog-Message-Number``. Retries stop
when the channel is stopped or has expired (nothing is sent to an expired channel)."""

PUSH_TTL_PARAM = "ttl"
"""FACT (push guide): ``params.ttl`` (seconds, as a string) asks for the channel's life; when
both ``expiration`` and ``params.ttl`` are sent the earlier end wins (GUESS), always capped at
the week above. Message numbers grow by one per message on each channel (FACT: they grow;
Google does not promise consecutive ones, the simulator's are)."""

PUSH_LOG_LIMIT = 1000
"""A simulator bound: the control API keeps the last 1000 delivery attempts."""

# --- Batch -----
BATCH_MAX_CALLS = 1000
"""FACT (Calendar batch guide): at most 1000 calls per batch; more is a 400 (GUESS: reason
``invalid``). Each inner call counts against quotas like a single call (FACT), the outer
``Authorization`` applies to parts that send none (FACT), and the parts run in order (Google
may run them in any order: a client must not depend on it)."""
