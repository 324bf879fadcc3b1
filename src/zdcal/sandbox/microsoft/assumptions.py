"""Every guess the Microsoft Graph simulator makes where the documentation is silent or unchecked.

FACT = checked against a Microsoft Learn page (identity platform or Graph v1.0 reference, as
stored in MicrosoftDocs/entra-docs and microsoftgraph/microsoft-graph-docs-contrib) or the
project's fact file /work/shared/api/microsoft-graph-calendar.md; GUESS = our choice, with the
reason. docs/sandbox.md ("Microsoft Graph simulator") summarises these; change both
together.
"""

from __future__ import annotations

# --- Identity platform (OAuth 2.0 v2 endpoints) --------------------------------------------
TENANT_ALIASES = ("common", "organizations")
"""FACT (auth-code flow page): ``{tenant}`` is ``common``, ``organizations``, ``consumers`` or a
tenant id. GUESS: every simulated user is a work account of the one configured tenant, so
``consumers`` (personal accounts only) and any other tenant are refused (AADSTS90002)."""

ACCESS_TOKEN_TTL_SECONDS = 3599
"""FACT (auth-code flow page, example token response): ``"expires_in": 3599``."""

AUTHORIZATION_CODE_TTL_SECONDS = 600
"""FACT (auth-code flow page): a code lives "about 10 minutes"; single use."""

REFRESH_TOKEN_TTL_SECONDS = 90 * 24 * 3600
"""FACT (refresh-tokens page): 90 days by default (24 h for SPA redirect URIs: not simulated)."""

OLD_REFRESH_TOKEN_STAYS_USABLE = True
"""FACT (refresh-tokens page): every refresh answers a NEW refresh token; the old one "is not
revoked" by the refresh. So by default an old refresh token keeps working until its own 90 days
end or the grant is revoked. GUESS for tests of strict clients: the config knob
``old_refresh_token_grace_seconds`` (None = documented behaviour, 0 = the old one dies at once,
N = it dies N seconds after being replaced)."""

PKCE_METHODS = ("S256", "plain")
"""FACT (auth-code flow page): S256 recommended, ``plain`` assumed when the method is omitted.
GUESS: PKCE stays optional for a confidential (web) client; once a challenge was sent, the code
redemption must carry the matching ``code_verifier``."""

AADSTS = {
    "code_redeemed": (54005, "OAuth2 Authorization code was already redeemed, please retry with "
                             "a new valid code or use an existing refresh token."),
    "grant_revoked": (70008, "The provided authorization code or refresh token has expired due "
                             "to inactivity. Send a new interactive authorization request for "
                             "this user and resource."),
    "refresh_expired": (700082, "The refresh token has expired due to inactivity."),
    "bad_grant": (9002313, "Invalid request. Request is malformed or invalid."),
    "verifier_mismatch": (501481, "The Code_Verifier does not match the code_challenge supplied "
                                  "in the authorization request."),
    "verifier_missing": (50148, "The code_verifier does not match the code_challenge supplied in "
                                "the authorization request for PKCE."),
    "redirect_mismatch": (50011, "The redirect URI specified in the request does not match the "
                                 "redirect URIs configured for the application."),
    "bad_secret": (7000215, "Invalid client secret provided. Ensure the secret being sent in the "
                            "request is the client secret value, not the client secret ID."),
    "unknown_client": (700016, "Application with identifier was not found in the directory."),
    "bad_grant_type": (70003, "The app requested an unsupported grant type."),
    "consent_declined": (65004, "User declined to consent to access the app."),
    "tenant_not_found": (90002, "Tenant not found."),
    "invalid_scope": (70011, "The provided value for the input parameter 'scope' is not valid."),
}
"""FACT (fact file + reference-error-codes page): 54005, 70008, 700082, 70011, 65001/65004 and the
error-body shape ``{error, error_description: "AADSTS<n>: ...\\r\\nTrace ID..", error_codes,
timestamp, trace_id, correlation_id}``. GUESS: the codes for a malformed code (9002313), PKCE
(501481/50148), redirect mismatch (50011), client secret (7000215, status 401) and unknown client
(700016) are from memory of the error-code list; descriptions are paraphrased. Clients must
branch on ``error`` / ``error_codes`` only (FACT: the docs say so)."""

REVOKED_GRANT_CODE = 70008
"""GUESS: a refresh token of a revoked grant (user or admin revocation, password reset) answers
``invalid_grant`` with 70008 (the fact file's "grant expired or revoked"); an expired one 700082."""

ID_TOKEN_ONLY_WITH_OPENID = True
"""FACT (auth-code flow page): ``id_token`` only when ``openid`` was asked for; ``refresh_token``
only with ``offline_access``. GUESS: the simulated id_token is an unsigned JWT (alg none): the
simulator has no keys, and clients here must not validate it themselves."""

OPAQUE_ACCESS_TOKENS = True
"""GUESS: access tokens are opaque random strings (real Graph tokens are JWTs, and Microsoft says
clients must treat them as opaque, so nothing may parse them)."""

SCOPE_PREFIX = "https://graph.microsoft.com/"
"""FACT: short scope names mean Graph; ``https://graph.microsoft.com/Calendars.ReadWrite`` is the
long form. GUESS: the token answer's ``scope`` lists the Graph permissions in short form."""

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
"""FACT: OpenID scopes are not Graph permissions and are not shown in the token's ``scope``
except ``offline_access`` being implied by the refresh token (GUESS: left out of ``scope``)."""

# --- Graph API: auth, errors -----------------------------------------------------------------
READ_SCOPES = ("Calendars.Read", "Calendars.ReadWrite")
WRITE_SCOPES = ("Calendars.ReadWrite",)
USER_SCOPES = ("User.Read", "User.ReadBasic.All", "User.Read.All")
"""FACT (permission tables of event/calendar/subscription/user pages): reading needs
Calendars.Read, writing Calendars.ReadWrite, ``/me`` User.Read. GUESS: a missing permission is
403 ``ErrorAccessDenied`` "Access is denied. Check credentials and try again." (the Outlook code
the fact file lists; text from memory)."""

UNAUTHENTICATED = ("InvalidAuthenticationToken", "Access token is empty.",
                   "Lifetime validation failed, the token is expired.")
"""GUESS from memory of real answers: 401 code ``InvalidAuthenticationToken`` with these
messages (missing / unknown or expired token), plus ``WWW-Authenticate: Bearer``."""

ITEM_NOT_FOUND = ("ErrorItemNotFound", "The specified object was not found in the store.")
"""FACT (fact file): gone event → 404 ``ErrorItemNotFound``. Message text from memory (GUESS)."""

INVALID_ID = ("ErrorInvalidIdMalformed", "Id is malformed.")
"""FACT (fact file lists the code); GUESS: an id that is not of the simulator's shape answers it."""

VALIDATION_FAILED = ("ErrorPropertyValidationFailure", "At least one property failed validation.")
"""GUESS (microsoftgraph/microsoft-graph-docs issue 7919 shows this answer for an all-day event
whose end precedes its start): the 400 for an all-day event whose start/end is not midnight in
one time zone, for end before start, and for a bad enum value. The fact file marks the code
unconfirmed."""

TIME_ZONE_NOT_SUPPORTED = "TimeZoneNotSupportedException"
"""FACT-ish (a real answer quoted in microsoftgraph/microsoft-graph-docs issue 4758): an unknown
``timeZone`` is 400 with this code and "A valid TimeZone value must be specified. The following
TimeZone value is not supported: '<zone>'." (status 400: GUESS, the issue shows the body only)."""

UNKNOWN_PROPERTY = "RequestBodyRead"
"""GUESS from memory of real OData answers: a body property the event type does not declare is
400 ``RequestBodyRead`` "The property 'x' does not exist on type 'microsoft.graph.event'...".
Read-only properties (``id``, ``changeKey``, ``createdDateTime``...) are ignored, not refused."""

TRANSACTION_ID_REPEAT_RETURNS_EXISTING = True
"""GUESS (the fact file: not documented): a create whose ``transactionId`` equals one of a live
event of the same mailbox answers that event, 201, and creates nothing. A deleted event's
transactionId can be used again. ``transactionId`` cannot be changed: a PATCH with another value
is 400 ``ErrorInvalidRequest`` (GUESS on the code); the same value is accepted."""

EVENTS_OF_ME = "default calendar"
"""GUESS (community reports, e.g. microsoftgraph/microsoft-graph-docs issue 6904; the reference
only says "events in the user's mailbox"): ``GET /me/events`` (and ``$filter`` on it) lists the
default calendar, as ``POST /me/events`` creates there (FACT), and a ``me/events`` subscription
watches the default calendar. FACT (maintainer's answer in microsoft-graph-docs issue 391): event
ids are unique across a mailbox's calendars, so ``/me/events/{id}`` reaches an event of any of
them."""

TRANSACTION_ID_NULL_WHEN_UNSET = True
"""The v1.0 event page says transactionId "is only returned in a response payload if an app has
set it"; a real create answer quoted on a Q&A site (developreference.com, "Expanding
singleValueExtendedProperty not working...") shows ``"transactionId": null``. GUESS: the
simulator answers ``null`` when unset, as observed; clients must accept absent and null."""

IDS_NEVER_CHANGE = True
"""FACT (fact file): regular Outlook ids can change when an item moves to another folder, and
``Prefer: IdType="ImmutableId"`` asks for ids that do not. GUESS (a simulator limit): events
cannot move between calendars here, so every id is immutable and the header changes nothing."""

EVENT_DEFAULTS = {
    "importance": "normal", "sensitivity": "normal", "showAs": "busy", "isReminderOn": True,
    "reminderMinutesBeforeStart": 15, "isAllDay": False, "responseRequested": True,
}
"""GUESS (Outlook's usual defaults, as seen in the docs' example responses)."""

ENUMS = {
    "sensitivity": ("normal", "personal", "private", "confidential"),
    "showAs": ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown"),
    "importance": ("low", "normal", "high"),
}
"""FACT (event resource page)."""

DATE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.0000000"
"""FACT (dateTimeTimeZone examples): ``2024-05-01T09:00:00.0000000``, no offset, 7 fraction
digits. Sub-second parts are dropped (GUESS: Outlook keeps whole seconds)."""

DEFAULT_RESPONSE_ZONE = "UTC"
"""FACT (fact file): start/end come back in UTC unless ``Prefer: outlook.timezone`` asks for
another zone; ``originalStartTimeZone`` keeps the zone sent."""

WINDOWS_ZONES = {
    "UTC": "UTC", "GMT Standard Time": "Europe/London", "W. Europe Standard Time":
    "Europe/Berlin", "Romance Standard Time": "Europe/Paris", "Central Europe Standard Time":
    "Europe/Budapest", "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev",
    "Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver", "Pacific Standard Time": "America/Los_Angeles",
    "Tokyo Standard Time": "Asia/Tokyo", "India Standard Time": "Asia/Kolkata",
    "AUS Eastern Standard Time": "Australia/Sydney",
}
"""FACT (fact file): zones are Windows names or IANA names. GUESS (a simulator limit): only these
Windows names are known (CLDR's windowsZones mapping); any IANA name is."""

EXTENDED_PROPERTY_ID = (
    r"(?P<type>[A-Za-z]+) (?:\{(?P<guid>[0-9A-Fa-f-]{36})\} (?:Name (?P<name>\S.*)|"
    r"Id (?P<id>0x[0-9A-Fa-f]+))|(?P<tag>0x[0-9A-Fa-f]{8}))"
)
"""FACT (extended-properties overview): ``"{type} {guid} Name {name}"``, ``"{type} {guid} Id
{hex}"`` or ``"{type} {proptag}"``. GUESS: any other id is 400 ``ErrorInvalidProperty``; the
type word and the GUID compare case-insensitively, the name case-sensitively (FACT), values
compare case-insensitively in ``$filter`` (FACT)."""

EXTENDED_PROPERTIES_ONLY_WHEN_EXPANDED = True
"""FACT (extended-properties overview): an event never shows its extended properties unless
``$expand=singleValueExtendedProperties($filter=id eq '...')`` asks. GUESS: ``$expand`` without
the ``$filter`` shows all of them; when none matches, the property is left out."""

FILTERS = ("eq", "ne", "startswith", "contains")
"""FACT (fact file): string properties filter with eq/ne/startswith/contains inside
``singleValueExtendedProperties/Any(ep: ep/id eq '<id>' and ep/value <op> '<v>')``. GUESS: other
``$filter`` expressions (the simulator knows no more) are 400 ``ErrorInvalidUrlQueryFilter``;
``/me/calendars/{id}/events?$filter=`` works the same as on ``/me/events`` (unconfirmed)."""

EVENTS_PAGE_DEFAULT = 10
EVENTS_PAGE_MAX = 1000
"""FACT-ish (Graph paging page: Outlook collections default to 10 items a page; ``$top`` up to
1000). Paging is ``@odata.nextLink`` with ``$skip`` (GUESS: Outlook uses $skip for events)."""

CALENDARS_PAGE_DEFAULT = 10
"""GUESS: as events."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""FACT-ish (Graph's documented 4 MB request size limit, e.g. for attachments through POST):
a larger body is refused 413 ``RequestEntityTooLarge`` before it is read (GUESS on the code)."""

UNKNOWN_SEGMENT = ("BadRequest", "Resource not found for the segment '{}'.")
"""GUESS from memory of real answers: a Graph path the service does not know is 400 with this
code and message (the simulator knows only the calendar paths listed in docs)."""

# --- calendarView delta --------------------------------------------------------------------------
DELTA_PAGE_DEFAULT = 10
"""GUESS: a delta page holds 10 events unless ``Prefer: odata.maxpagesize=N`` asks otherwise
(then ``Preference-Applied`` is answered: FACT of OData). Pages may also be empty (FACT)."""

DELTA_PER_CALENDAR = True
"""FACT (event-delta v1.0 page): ``/me/calendarView/delta`` (default calendar) and
``/users/{id}/calendarView/delta``. GUESS: ``/me/calendars/{id}/calendarView/delta`` works too
(beta documents it; reported to work on v1.0)."""

DELTA_WINDOW_REQUIRED = ("ErrorInvalidParameter",
                         "This request requires a time window specified by the query string "
                         "parameters StartDateTime and EndDateTime.")
"""GUESS from memory (calendarView's answer without a window)."""

DELTA_EXPIRED = (410, "syncStateNotFound", "The sync state generation is not found or expired.")
"""FACT (delta-query overview: 410 Gone with a ``Location`` header, or a 4xx with
``syncStateNotFound``/``resyncRequired``). GUESS: the simulator answers 410 code
``syncStateNotFound`` with ``Location`` = a fresh initial URL of the same window, for expired
tokens (control API) and for tokens it cannot read."""

DELTA_REMOVED_OUTSIDE_WINDOW = True
"""FACT (delta-query-events page): removed events come as ``{"id", "@removed": {"reason":
"deleted"}}``, and this also covers events that changed outside the window. GUESS: after the
first round, every event changed since the token that is not (any longer) in the window is sent
as ``@removed``, whether it ever was in the window or not."""

# --- $batch ------------------------------------------------------------------------------------
BATCH_MAX_REQUESTS = 20
BATCH_CONCURRENCY = 4
"""FACT (json-batching page): at most 20 requests; ids unique; ``headers`` required with a
``body``; ``dependsOn`` orders; a failed prerequisite gives dependents 424; answers in any order;
Outlook runs at most 4 of one batch at a time. GUESS: the outer ``Authorization`` applies to every
inner request; malformed batches are 400 ``BadRequest`` with the messages in routes_batch.py; the
simulator answers in completion order."""

# --- Subscriptions -----------------------------------------------------------------------------
SUBSCRIPTION_MAX_MINUTES = 10_080
"""UNCONFIRMED: the subscription resource page revisions stored here say 4,230 minutes (under 3
days) for Outlook events; newer revisions are reported to say 10,080 minutes (under 7 days)
without resource data (the issue's figure). Configurable: ``subscription_max_minutes``.
FACT-ish (a real answer quoted in microsoftgraph/microsoft-graph-docs issue 2988): a longer
``expirationDateTime`` is 400 ``ExtensionError`` "Subscription expiration can only be 4230
minutes in the future." (status 400: GUESS); GUESS: one in the past answers the same."""

SUBSCRIPTION_RESOURCES = (r"/?me/events", r"/?users/(?P<user>[^/]+)/events",
                          r"/?me/calendars/(?P<calendar>[^/]+)/events",
                          r"/?users/(?P<user2>[^/]+)/calendars/(?P<calendar2>[^/]+)/events")
"""FACT (outlook-change-notifications page): ``me/events`` and ``users/{id}/events``; GUESS: a
single calendar's events work too (reported, unconfirmed). Delegated tokens cover the signed-in
user only (FACT): another user is 403 ``ExtensionError``."""

MAX_SUBSCRIPTIONS_PER_MAILBOX = 1000
"""FACT (outlook-change-notifications page): 1000 active Outlook subscriptions per mailbox.
GUESS: one more is 403 ``ExtensionError``."""

CLIENT_STATE_MAX = 128
"""FACT (subscription resource page): clientState at most 128 characters."""

VALIDATION_TIMEOUT_SECONDS = 10.0
SUBSCRIPTION_VALIDATION_FAILED = (
    "ValidationError",
    "Subscription validation request failed. Response must exactly match validationToken query "
    "parameter.",
)
"""FACT (webhook delivery page): POST ``<url>?validationToken=..`` (text/plain), answer 200
text/plain with the token within 10 s, else the subscription is not created. FACT-ish (the
message as quoted in microsoftgraph/java-spring-webhooks-sample issue 82); GUESS: status 400 and
code ``ValidationError``. ``lifecycleNotificationUrl`` is
validated the same way (FACT)."""

NOTIFICATION_TIMEOUT_SECONDS = 3.0
NOTIFICATION_RETRY_DELAYS = (1.0, 5.0, 30.0)
"""FACT: an endpoint must answer 2xx within 3 s, otherwise Graph retries for up to 4 hours with
back-off. GUESS: the simulator retries after these delays (configurable), then drops it."""

EMPTY_CLIENT_STATE_OMITTED = True
"""GUESS: a subscription without clientState sends notifications without the field."""

REAUTHORIZE_STATUS = 200
"""FACT-ish (subscription-reauthorize page: "returns a 200 OK"): no body (GUESS)."""

SUBSCRIPTION_NOT_FOUND = ("ResourceNotFound", "The object was not found.")
"""GUESS: an unknown or expired subscription id is 404 with this code (from memory)."""

# --- Throttling --------------------------------------------------------------------------------
REQUESTS_PER_WINDOW = 10_000
WINDOW_SECONDS = 600
CONCURRENT_REQUESTS = 4
"""FACT (throttling-limits page, Outlook service limits): per app id and mailbox, 10,000 API
requests in a 10 minute period and 4 concurrent requests. Configurable."""

THROTTLED = ("ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
             "Application is over its MailboxRequestRate limit.")
"""FACT-ish (a real answer quoted in calcom/cal.diy pull request 343): 429 ``ApplicationThrottled``
"Application is over its MailboxConcurrency limit."; GUESS: the request-rate variant's
wording. ``Retry-After`` in whole seconds: 1 for concurrency, the seconds until the window has
room for the request rate (GUESS)."""

TOO_MANY_REQUESTS = ("TooManyRequests", "Please retry again later.")
"""FACT (fact file, throttling page): the generic 429 body, used for the ``burst_429`` fault."""

SERVICE_UNAVAILABLE = ("serviceNotAvailable", "The service is temporarily unavailable.")
"""FACT (errors page lists 503 ``serviceNotAvailable``); GUESS: the ``error_rate`` fault answers
it with ``Retry-After: 1``."""

FAULT_CODES = {
    400: ("invalidRequest", "The request is malformed or incorrect."),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    409: ("ErrorIrresolvableConflict", "The item has been changed by another request."),
    410: ("syncStateNotFound", "The sync state generation is not found or expired."),
    412: ("ErrorIrresolvableConflict", "The change key does not match."),
    429: TOO_MANY_REQUESTS,
    500: ("generalException", "An unspecified error has occurred."),
    503: SERVICE_UNAVAILABLE,
    504: ("ErrorTimeoutExpired", "The operation timed out."),
}
"""What a scripted failure (``/_sandbox/faults/failures``) answers for its status unless it
names a ``reason`` (then that is the Graph ``code``). FACT (errors page and fact file): the codes
exist; GUESS: the pairing with statuses and the messages. 429 and 503 carry ``Retry-After: 1``."""

FAULTED_PATHS = ("/v1.0/",)
"""GUESS (a simulator choice, as the Google simulator's): faults and counters cover Graph only;
the identity platform answers in its own error format and is never faulted. The random knobs and
path-less scripts hit each request of a ``$batch``, not the envelope; a script whose path
matches ``/v1.0/$batch`` fails the envelope itself. Latency applies to each outer request."""

INNER_ERROR_FIELDS = ("date", "request-id", "client-request-id")
"""FACT (errors page): ``innerError`` carries ``request-id``, ``date`` and, when the client sent
one, ``client-request-id`` (GUESS: the simulator always echoes the client's header)."""
