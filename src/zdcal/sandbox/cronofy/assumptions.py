"""Every guess the simulator makes where Cronofy's documentation is silent, in one place.

docs/sandbox-cronofy.md lists the same decisions under "## Assumptions"; change both together.
"""

from __future__ import annotations

# --- OAuth -------------------------------------------------------------------------------
AUTHORIZATION_CODE_TTL_SECONDS = 600
"""Authorization codes are single use and expire after 10 minutes (RFC 6749 §4.1.2 maximum)."""

# Refresh: two modes (behaviour.REFRESH_TOKEN_MODES, config ``refresh_token_mode``, control
# ``PUT /_sandbox/behaviour``), because the sources disagree:
# - FACT: Cronofy's documented example answers the refresh token that was sent
#   ("refresh_token": "{REFRESH_TOKEN}" in request and response) -> mode ``same``.
#   https://docs.cronofy.com/developers/api/authorization/refresh-token/
# - FACT: pycronofy's own refresh fixture answers no refresh_token at all
#   (cronofy/pycronofy pycronofy/tests/test_auth.py, test_refresh), yet its client reads
#   data["refresh_token"] after a refresh (pycronofy/client.py, refresh_authorization): the
#   simulator always sends one.
# - GUESS: mode ``rotate`` (the default): every refresh answers a new refresh token and the
#   used one dies at once, no grace period (store.SandboxState.rotate_refresh_token). The
#   strictest reading of "the refresh token may change"; a client that survives it survives
#   ``same`` too. In both modes earlier access tokens stay valid until they expire.
REFRESH_TOKEN_MODE_DEFAULT = "rotate"  # noqa: S105 - a mode name, not a secret

OAUTH_CLIENT_ERRORS_STATUS = 400
"""``invalid_client`` is answered 400 like every other token-endpoint failure."""

DEFAULT_PROVIDER_NAME = "google"

# --- Errors without a documented body ------------------------------------------------------
# 401, 403, 404, 423 and 429 are answered with an empty body (Cronofy documents only the
# status): errors.CronofyApiError subclasses carry no body for them.

UNAUTHORIZED_CHALLENGE = 'Bearer realm="Cronofy", error="invalid_token"'
"""``WWW-Authenticate`` sent with every 401 (RFC 6750 §3)."""

# --- Managed events ------------------------------------------------------------------------
EVENT_ID_MAX_LENGTH = 200
"""The docs only say "a String"; longer ids are refused with ``errors.too_long``."""

REMINDERS_MAX_COUNT = 5
REMINDER_MAX_MINUTES = 40_320
"""Reminders: at most 5, each 0..40320 minutes (four weeks) before the start."""

URL_MAX_LENGTH = 2048

ERROR_REQUIRED = "errors.required"
ERROR_TOO_LONG = "errors.too_long"
ERROR_INVALID = "errors.invalid"
ERROR_INVALID_TYPE = "errors.invalid_type"
ERROR_UNKNOWN_TZID = "errors.unknown_tzid"
ERROR_END_BEFORE_START = "errors.end_before_start"
ERROR_TOO_MANY = "errors.too_many"
ERROR_CALENDAR_READONLY = "errors.calendar_readonly"
ERROR_CALENDAR_DELETED = "errors.calendar_deleted"
"""Upserts into a read-only or deleted calendar: 422 with the error under ``calendar_id``."""

# Deleting from a read-only or deleted calendar is a 202 no-op: no managed event can be there.

# --- Read events ---------------------------------------------------------------------------
READ_EVENTS_PAGE_SIZE = 50

# The last page of read events: FACT both shapes occur. Cronofy's API notes (and our
# /work/shared/api/cronofy.md) say ``next_page`` is absent on the last page; pycronofy's
# recorded last page carries ``"next_page": ""`` (cronofy/pycronofy
# pycronofy/tests/test_data.py, TEST_DATA_PAGE_TWO). Knob ``last_page_next_page``:
# ``absent`` (default) or ``empty``. pycronofy itself pages on current < total.
LAST_PAGE_NEXT_PAGE_DEFAULT = "absent"
DEFAULT_FROM_DAYS_AGO = 16
DEFAULT_TO_DAYS_AHEAD = 201
"""Without ``from``/``to`` the window is 16 days back to 201 days ahead (in ``tzid``).

Managed events ignore the default window when neither bound is given (documented); when
only one bound is given, the other takes its default for every event (our choice).
"""

UNKNOWN_CALENDAR_IDS_IN_READ_IS_404 = True
"""``calendar_ids[]`` naming a calendar the token cannot see answers 404."""

PAGE_SNAPSHOT_LIMIT = 1000
"""Result sets behind ``next_page`` URLs kept per simulator; the oldest are forgotten first."""

# --- Batch -----------------------------------------------------------------------------------
BATCH_MAX_ENTRIES = 50

# --- Channels and notifications --------------------------------------------------------------
CHANNELS_PER_ACCOUNT = 128
# Only changes "by the user" (the control API) notify; the application's own writes do not.

NOTIFICATION_LOG_LIMIT = 1000

DOCUMENTED_NOTIFICATION_TYPES = (
    "verification",
    "change",
    "profile_disconnected",
    "profile_initial_sync_completed",
    "conferencing_profile_disconnected",
    "gdpr_requested",
)
"""FACT: the push notification types Cronofy lists, with "your code should be tolerant of
others, by ignoring them" (https://docs.cronofy.com/developers/api/push-notifications/; the
page says "five types" and enumerates six). Five are captured from a live channel in
hookdeck/webhook-samples providers/cronofy/latest/*.json; ``gdpr_requested`` is quoted from
the docs' list in hookdeck/webhook-skills (cronofy-webhooks). ``profile_initial_sync_required``
appears in no source: it is not a Cronofy type (send it as an unknown one if wanted).

GUESS: the simulator sends ``verification`` (channel created), ``change`` (the user changed
an event) and ``profile_disconnected`` (account locked) on its own; its accounts sync at
once and have no conferencing or GDPR requests, so the others (and any unknown type) are
sent only through ``POST /_sandbox/accounts/{id}/notify``. Captured channels also carry
``"scheduling_conversations": {}``, which the simulator leaves out (zdcal never reads it)."""

SIGNATURE_SEPARATOR = ","
"""FACT: with several active client secrets ``Cronofy-HMAC-SHA256`` holds one signature per
secret, separated by commas ("{HMAC_FROM_SECRET_1},{HMAC_FROM_SECRET_2}",
https://docs.cronofy.com/developers/api/push-notifications/); pycronofy's ``hmac_valid``
splits on "," (pycronofy/client.py). GUESS: the other secrets (knob
``additional_client_secrets``) sign first, the configured client secret last."""

# --- Scopes ----------------------------------------------------------------------------------
DEFAULT_SCOPE = "read_account list_calendars read_events create_event delete_event"
SCOPE_FOR_CHANNELS = "read_events"
SCOPE_FOR_PROFILES = "read_account"
SCOPE_FOR_USERINFO = "read_account"

# --- Locked accounts -------------------------------------------------------------------------
# A locked account (provider credentials gone) gets 423 from calendars, events and batch
# (routes_api: lockable=True); account, userinfo, profiles and channels keep answering so
# the application can tell the user to relink.

PERMISSION_LEVEL = "unrestricted"
"""``permission_level`` of every listed calendar."""
