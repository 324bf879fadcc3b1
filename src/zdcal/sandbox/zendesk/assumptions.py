"""Every guess the simulator makes where Zendesk's documentation is silent, in one place.

Each constant says what the real service is assumed to do and why. docs/sandbox-zendesk.md
lists the same guesses under "Assumptions"; change both together.

"Recorded" below means seen in real Zendesk traffic recorded by the zenpy client's test
suite (github.com/facetoe/zenpy, tests/test_api/betamax/<cassette>.json); the recorded
facts are restated as fixtures in tests/sandbox/zendesk/test_fidelity_tickets.py.
"""

from __future__ import annotations

from datetime import time
from typing import Final

# --- Time -----------------------------------------------------------------------------
# generated_timestamp never goes backwards, even when a test moves the clock offset back:
# the export selects by it, and a real account's clock is monotonic.
GENERATED_TIMESTAMP_MONOTONIC: Final = True

# generated_timestamp is sent by the incremental export only. Recorded: absent from every
# ticket of show, show_many, create and update answers (TestTicketCreateUpdateDelete.*,
# TestTicketsPagination.*), and one create answered `generated_timestamp: 0`
# (TestAttachmentUpload.test_redact_attachment-upload-single.json; the config knob
# zero_generated_timestamp sends that 0 everywhere outside the export). Search results are
# rendered like show (not recorded: a guess).
GENERATED_TIMESTAMP_ONLY_IN_EXPORT: Final = True

# Placeholders and search dates use the account time zone; the sandbox renders them in
# UTC whatever ZendeskSimConfig.time_zone says (that field feeds the account settings only).
ACCOUNT_TIME_ZONE: Final = "UTC"
# GET /api/v2/account/settings answers only `settings.localization`: `locale_ids`, and the
# account's zone as `time_zone` (Rails name) and `iana_time_zone` (IANA id), the fields
# Zendesk's Account Settings reference lists under Localization
# (https://developer.zendesk.com/rest_api/docs/core/account_settings;
# the OpenAPI file lists only locale_ids). The zone is ZendeskSimConfig.time_zone
# (default Etc/UTC); the one locale is 1, English (en-US) in Zendesk's locale list.
ACCOUNT_LOCALE_IDS: Final = (1,)

# A user's `time_zone` is a Rails name ("Eastern Time (US & Canada)") for some accounts and
# an IANA id ("America/New_York") for others; `iana_time_zone` is always the IANA id
# (recorded: "America/New_York"/"America/New_York" in TestDeletedTickets.* and most
# cassettes, "Pacific Time (US & Canada)"/"America/Los_Angeles" in
# TestUserSearchExportApi.test_cbp_large_block.json). Seeds choose per user
# (`time_zone_style`); the default is the Rails name.
USER_TIME_ZONE_STYLES: Final = ("rails", "iana")

# --- Tickets --------------------------------------------------------------------------
# The account has the default custom ticket statuses, one per status category, with
# these ids. Setting custom_status_id moves the ticket to that category.
DEFAULT_CUSTOM_STATUS_IDS: Final = {
    "new": 1,
    "open": 2,
    "pending": 3,
    "hold": 4,
    "solved": 5,
    "closed": 6,
}
# A ticket create without `comment.body` or `description` is refused (422 details.description).
DESCRIPTION_REQUIRED_ON_CREATE: Final = True
# `due_at` is stored for any ticket type; only tasks show it in the agent UI.
DUE_AT_KEPT_FOR_NON_TASKS: Final = True
# An assignee must be an existing, active agent or admin (422 details.assignee otherwise).
ASSIGNEE_MUST_BE_AGENT: Final = True
# Deleting a ticket fires no trigger (triggers react to creates and updates only); it
# does write a change to the incremental export log.
DELETION_FIRES_TRIGGERS: Final = False
# GET /api/v2/tickets/show_many with more than 100 ids: 400 with this error name.
SHOW_MANY_MAX_IDS: Final = 100
SHOW_MANY_TOO_MANY_ERROR: Final = "InvalidPaginationParameter"
# Deleted tickets are listed for this long (documented as 30 days) then scrubbed.
DELETED_TICKET_RETENTION_SECONDS: Final = 30 * 86_400
# PUT /api/v2/deleted_tickets/{id}/restore answers 200 with the JSON body `{}` (recorded:
# TestDeletedTickets.test_delete_and_restore.json; the OpenAPI file says an empty string).
RESTORE_BODY: Final = "{}"
# DELETE /api/v2/deleted_tickets/{id} (permanent delete) answers 200 with a queued
# job_status (recorded: TestDeletedTickets.test_permanently_delete.json); the sandbox does
# the work at once, so GET /api/v2/job_statuses/{id} then says completed with
# {"success": true} (recorded too). A ticket that is not soft-deleted is a 404 (a guess).
# Afterwards restore is 404 (recorded) and the ticket leaves the deleted list.
PERMANENT_DELETE_JOB_STATUS: Final = "queued"
# A permanently deleted ticket stays in the incremental export, scrubbed: status deleted,
# these fields replaced, priority/requester/updated_at kept, generated_timestamp bumped
# (recorded: TicketsIncrementalTest.test_pagination.json tickets 465, 934, 1403, and
# test_get_values.json ticket 4034). external_id and group_id cleared: a guess.
SCRUBBED_FIELDS: Final = {
    "subject": "SCRUBBED",
    "description": "X",
    "type": None,
    "assignee_id": None,
    "due_at": None,
    "tags": (),
    "group_id": None,
    "external_id": None,
}

# --- The agent page (/agent: the simulator's stand-in for Zendesk's agent interface) ----
# How the real agent interface stores a due date picked without a time is undocumented
# (/work/shared/api/zendesk.md, "Tickets"). Guess: noon of the picked date in the account
# time zone, because noon keeps the picked date for every agent within 12 hours of that
# zone. A picked time is stored as that time of day in the account time zone.
AGENT_UI_DATE_ONLY_DUE_TIME: Final = time(12, 0)

# --- Incremental export ---------------------------------------------------------------
INCREMENTAL_MAX_PER_PAGE: Final = 1000
# "The last minute is never returned": changes younger than this are withheld.
INCREMENTAL_WITHHELD_SECONDS: Final = 60
TOO_RECENT_START_TIME_DESCRIPTION: Final = (
    "Too recent start_time. Use a start_time older than 1 minute"
)
# A ticket changed several times appears at the log position of its LATEST change only
# (an older entry is skipped when read), in its current state. A ticket that changes
# after a page showed it therefore appears again on a later page of the same read. Why:
# the recorded cursor is a position "<generated_timestamp>||<ticket id>|" (base64; e.g.
# "1695052663.0||28|" in TicketsIncrementalTest.test_pagination.json), so a changed
# ticket moves past the cursor; Zendesk's guide warns of duplicate items in exports
# (developer.zendesk.com/documentation/ticketing/managing-tickets/
# using-the-incremental-export-api). Skipped entries do not count against per_page, so
# no page before the end of the stream is empty (recorded: every per_page=1 page of
# test_pagination.json holds one ticket).
INCREMENTAL_ONE_ENTRY_PER_TICKET: Final = True
# before_cursor points at the start of the page just returned (re-reads it), null on a
# page that starts at the beginning of the log.

# --- Search ---------------------------------------------------------------------------
SEARCH_MAX_PER_PAGE: Final = 100
SEARCH_MAX_RESULTS: Final = 1000
SEARCH_LIMIT_DESCRIPTION: Final = (
    "Invalid search: Requested response size was greater than Search Response Limits"
)
# Default order when no sort_by is given ("relevance" in Zendesk): created_at, then id.
# Terms the sandbox does not understand are refused (400) rather than silently treated as
# free text, so a client relying on unsupported syntax notices at once.
SEARCH_EXPORT_MAX_PAGE_SIZE: Final = 1000
SEARCH_EXPORT_CURSOR_TTL_SECONDS: Final = 3600
# The search export orders by created_at DESCENDING, ties by id ascending (recorded:
# TestUserSearchExportApi.test_cbp_large_block.json, whose cursor decodes to
# {"field":"created_at","desc":true,"tieBreakField":"id","tieBreakDesc":false,...}; the
# OpenAPI example cursor says "desc" too). Recorded for users; assumed the same for tickets.
SEARCH_EXPORT_NEWEST_FIRST: Final = True
# `type:<t>` in the query together with filter[type]=<t> is answered 200 (recorded with
# type:user, TestUserSearchExportApi.*; zenpy always sends both). A `type:` that differs
# from filter[type] is refused (400): a guess.
SEARCH_EXPORT_TYPE_IN_QUERY_MUST_MATCH_FILTER: Final = True

# --- Users ----------------------------------------------------------------------------
# PUT /api/v2/users/{id} (UpdateUser in Zendesk's OpenAPI file, which does not say who may
# call it) is allowed to admins only here, and applies `name` and `role` only: enough to
# promote or demote someone; every other field of the body is ignored.
USER_UPDATE_ROLES: Final = ("admin",)
# GET /api/v2/users (ListUsers in Zendesk's OpenAPI file): "Allowed For: Admins, Agents and
# Light Agents"; `role` filters by one role, `role[]` (repeated) by several (the file's
# UserRoleFilter and UserRolesFilter). It pages like the other Support API lists (offset
# pages without page[size], cursor pages with it: the file's DualPaginationPage) with at
# most 100 records a page ("Returns a maximum of 100 records per page"). Guesses: users
# come in id order (the file does not name the default of CursorPaginationSort), a role
# that is not end-user/agent/admin is refused (400; custom role names are not simulated),
# and deleted (inactive) users are not listed.
USER_LIST_ROLES: Final = ("agent", "admin")
USER_LIST_SHOWS_ONLY_ACTIVE: Final = True

# --- Rate limits ----------------------------------------------------------------------
# Windows are fixed minutes of the simulator clock (so advancing the clock resets them);
# ratelimit-reset / Retry-After are the seconds left in the current minute.
RATE_LIMIT_WINDOW_SECONDS: Final = 60
# Which headers report which budget, as recorded (github.com/facetoe/zenpy,
# tests/test_api/betamax/, 2023-2024; see tests/fixtures/zendesk/recorded__admin_objects.json):
# * Support API responses carry X-Rate-Limit, X-Rate-Limit-Remaining and the ratelimit-*
#   trio (2024 recordings; 2023 ones spell it rate-limit, rate-limit-remaining, ...).
# * The incremental export and the search export carry NO zendesk-ratelimit-* header
#   (121 + 4 recorded responses), though the docs name one: their own limits are
#   enforced here, announced only by a 429's Retry-After.
# * The Webhooks API (/api/v2/webhooks...) answers only x-rate-limit: 100 and
#   x-rate-limit-remaining, counting down per webhooks request: its own budget. Guess:
#   webhooks requests do not also count against the account's plan limit.
SUPPORT_API_LIMIT_HEADERS: Final = (
    "X-Rate-Limit",
    "X-Rate-Limit-Remaining",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)
WEBHOOKS_API_LIMIT_HEADERS: Final = ("x-rate-limit", "x-rate-limit-remaining")

# --- OAuth ----------------------------------------------------------------------------
AUTHORIZATION_CODE_TTL_SECONDS: Final = 120
# Refresh tokens live 30 days (Zendesk's documented default refresh_token_expires_in).
REFRESH_TOKEN_TTL_SECONDS: Final = 30 * 86_400
# Scopes accepted on the consent page; resource scopes are "<resource>:read|write".
OAUTH_GLOBAL_SCOPES: Final = frozenset({"read", "write", "impersonate"})
OAUTH_RESOURCES: Final = frozenset(
    {
        "tickets",
        "users",
        "auditlogs",
        "organizations",
        "hc",
        "apps",
        "triggers",
        "automations",
        "targets",
        "webhooks",
        "macros",
        "requests",
        "satisfaction_ratings",
        "dynamic_content",
        "any_channel",
        "web_widget",
    }
)
# "write" does not include "read": a GET needs read or <resource>:read.
WRITE_IMPLIES_READ: Final = False

# --- Webhooks and triggers ------------------------------------------------------------
# Webhook body validation errors are 422 with the `Errors` shape of the OpenAPI file.
WEBHOOK_VALIDATION_STATUS: Final = 422
# PUT /api/v2/webhooks/{id} replaces the webhook: the five required fields must be sent
# (a PUT without subscriptions was recorded as 204), and every optional writable field
# left out is cleared: authentication and description are dropped (recorded), and by the
# same rule subscriptions and custom_headers (guess). PATCH changes only what it names.
WEBHOOK_PUT_REPLACES: Final = True
# A trigger created without category_id lands in the first category (recorded 201).
TRIGGER_DEFAULT_CATEGORY_IS_FIRST: Final = True
# Lists (triggers, trigger categories, webhooks): at most 100 per page (Zendesk's
# pagination docs: "most endpoints limit this to a maximum of 100"); a bigger page[size]
# is served at 100 rather than refused (guess). Triggers and categories answer offset
# pages unless page[size] is given (docs, recorded for triggers); webhooks always answer
# cursor pages, 100 by default (recorded for the same service's invocations list).
# Triggers are ordered by (position, id), categories by (position, id), webhooks by id
# (ULIDs: creation order). Cursors do not expire.
LIST_MAX_PAGE_SIZE: Final = 100
# Deliveries: Content-Type "application/json; charset=utf-8" and a 26-character ULID
# invocation id such as 01HANA2B5D5W9XSJS3NE5SQA1J (recorded in an invocation attempt's
# request headers; the older example in "Anatomy of a webhook request" shows a number, so
# receivers accept both). All attempts and copies of one invocation share its id. Other
# formats keep their bare media type (not recorded).
# Trigger actions other than notification_webhook are refused (422): the sandbox does not
# run them, and silently ignoring them would mislead.
SUPPORTED_TRIGGER_ACTIONS: Final = frozenset({"notification_webhook"})
# A 429/503 answer is retried only when Retry-After is below this (seconds).
WEBHOOK_RETRY_AFTER_CEILING_SECONDS: Final = 60
# Pause between delivery attempts when the receiver gives no Retry-After.
WEBHOOK_RETRY_BACKOFF_SECONDS: Final = 0.2
# Deliveries reuse kept-alive HTTP connections to the receiver, without a cap on how many
# are open at once (guess: Zendesk documents neither; a receiver must accept both new and
# reused connections anyway, and a fresh client per delivery cost the simulator a core).
WEBHOOK_CONNECTIONS_KEPT_ALIVE: Final = True
# Placeholder renderings (account time zone UTC):
#   {{ticket.status}}, {{ticket.ticket_type}} -> display name ("Open", "Task")
#   {{ticket.due_date}}, {{ticket.created_at}}, {{ticket.updated_at}} -> "May 18, 2014"
#   {{ticket.*_with_timestamp}} -> "2023-09-18T23:38:13Z"
#   missing values (no assignee, no due date) -> ""
PLACEHOLDER_DATE_FORMAT: Final = "%B %d, %Y"
PLACEHOLDER_TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

# --- Apps with signed URLs (src/zdcal/sandbox/zendesk/apps.py) --------------------------
# FACT: GET /api/v2/apps/{app_id}/public_key.pem serves the key that verifies an app's
# signed-URL JWTs (Apps API "Get App Public Key", allowed for anonymous users). GUESS:
# one key pair per app, not per installation (the endpoint names only the app).
APP_KEY_PER_APP: Final = True
# FACT (public verifiers, Zendesk's server-side app tutorial): RS256; `iss` is
# "<subdomain>.zendesk.com"; `aud` is the installation's API URL
# "https://<subdomain>.zendesk.com/api/v2/apps/installations/<id>.json"; `iat`, `exp`.
# GUESS: the token lives 5 minutes (no lifetime is documented; it is used at once).
SIGNED_URL_TOKEN_LIFETIME_SECONDS: Final = 300
# GUESS: the viewing user's id travels in `sub`, as a string (no claims table could be
# read; zdcal refuses a token without it rather than trusting the browser's word).
SIGNED_URL_USER_CLAIM: Final = "sub"
# GUESS: each token carries a random `jti`, so two loads by one user in one second differ
# (zdcal accepts each token once, by its digest, and does not read `jti` itself).
# GUESS: GET /api/v2/apps/installations/{id}.json answers the installation object itself
# (`id`, `app_id`, `settings` without secure ones, `enabled`: the attributes of
# zendesk_apps_support's Installation), unwrapped; agents may read it.
