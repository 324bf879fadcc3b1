"""Resources as Graph shows them: event, calendar, user and subscription (v1.0 property lists)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from zdcal.sandbox.microsoft import assumptions
from zdcal.sandbox.microsoft.event_body import render_time
from zdcal.sandbox.microsoft.extended import expanded
from zdcal.sandbox.microsoft.model import Calendar, StoredEvent, Subscription, User

GRAPH = "https://graph.microsoft.com/v1.0"
_TAGS = re.compile(r"<[^>]+>")


def graph_time(moment: datetime) -> str:
    """Graph's UTC timestamps: seven fraction digits and ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond * 10:07d}Z"


def etag(change_key: str) -> str:
    return f'W/"{change_key}"'


def _preview(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    text = str(body.get("content", ""))
    if str(body.get("contentType", "text")).lower() == "html":
        text = html.unescape(_TAGS.sub(" ", text))
    return " ".join(text.split())[:255]


def render_event(event: StoredEvent, user: User, *, zone: str | None = None,
                 select: tuple[str, ...] | None = None,
                 expand: str | None = None) -> dict[str, Any]:
    """The event with every v1.0 property Outlook answers for a single-instance event (the
    property table of the event resource page; ``originalStart`` only for occurrences)."""
    fields = {**assumptions.EVENT_DEFAULTS, **event.fields}
    all_day = bool(fields["isAllDay"])
    body = fields.get("body") or {"contentType": "text", "content": ""}
    organizer = {"emailAddress": {"name": user.display_name, "address": user.email}}
    rendered: dict[str, Any] = {
        "@odata.etag": etag(event.change_key),
        "id": event.event_id,
        "createdDateTime": graph_time(event.created),
        "lastModifiedDateTime": graph_time(event.modified),
        "changeKey": event.change_key,
        "categories": fields.get("categories", []),
        "transactionId": event.transaction_id,  # null when unset (assumptions)
        "originalStartTimeZone": fields["start"]["timeZone"],
        "originalEndTimeZone": fields["end"]["timeZone"],
        "iCalUId": event.ical_uid,
        "reminderMinutesBeforeStart": fields["reminderMinutesBeforeStart"],
        "isReminderOn": fields["isReminderOn"],
        "hasAttachments": False,
        "subject": fields.get("subject", ""),
        "bodyPreview": _preview(body),
        "importance": fields["importance"],
        "sensitivity": fields["sensitivity"],
        "isAllDay": all_day,
        "isCancelled": False,
        "isOrganizer": True,
        "responseRequested": fields["responseRequested"],
        "seriesMasterId": None,
        "showAs": fields["showAs"],
        "type": "singleInstance",
        "webLink": "https://outlook.office365.com/owa/?itemid="
                   f"{quote(event.event_id, safe='')}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(fields.get("isOnlineMeeting", False)),
        "onlineMeetingProvider": fields.get("onlineMeetingProvider", "unknown"),
        "allowNewTimeProposals": bool(fields.get("allowNewTimeProposals", True)),
        "isDraft": False,
        "hideAttendees": bool(fields.get("hideAttendees", False)),
        "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
        "body": {"contentType": str(body.get("contentType", "text")).lower(),
                 "content": body.get("content", "")},
        "start": render_time(fields["start"], all_day, zone),
        "end": render_time(fields["end"], all_day, zone),
        "location": _location(fields.get("location")),
        "locations": fields.get("locations", []),
        "recurrence": None,
        "attendees": fields.get("attendees", []),
        "organizer": organizer,
        "onlineMeeting": None,
    }
    properties = expanded(event, expand)
    if properties is not None:
        rendered["singleValueExtendedProperties"] = properties
    if select:
        keep = {"@odata.etag", "id", *select, "singleValueExtendedProperties"}
        rendered = {k: v for k, v in rendered.items() if k in keep}
    return rendered


def _location(sent: Any) -> dict[str, Any]:
    name = sent.get("displayName", "") if isinstance(sent, dict) else ""
    return {"displayName": name, "locationType": "default", "uniqueIdType": "unknown",
            "address": {}, "coordinates": {}}


def render_calendar(calendar: Calendar) -> dict[str, Any]:
    return {
        "id": calendar.calendar_id,
        "name": calendar.name,
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": calendar.is_default,
        "changeKey": calendar.change_key,
        "canShare": calendar.can_edit,
        "canViewPrivateItems": calendar.can_edit,
        "canEdit": calendar.can_edit,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": calendar.is_default,
        "isRemovable": not calendar.is_default,
        "owner": {"name": calendar.owner_name, "address": calendar.owner_address},
    }


def render_user(user: User) -> dict[str, Any]:
    given, _, surname = user.display_name.partition(" ")
    return {
        "@odata.context": f"{GRAPH}/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": given,
        "jobTitle": None,
        "mail": user.email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": surname or None,
        "userPrincipalName": user.email,
        "id": user.user_id,
    }


def render_subscription(subscription: Subscription, application_id: str) -> dict[str, Any]:
    return {
        "@odata.context": f"{GRAPH}/$metadata#subscriptions/$entity",
        "id": subscription.subscription_id,
        "resource": subscription.resource,
        "applicationId": application_id,
        "changeType": ",".join(subscription.change_types),
        "clientState": subscription.client_state,
        "notificationUrl": subscription.notification_url,
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": subscription.lifecycle_url,
        "expirationDateTime": graph_time(subscription.expiration),
        "creatorId": subscription.user_id,
        "includeResourceData": False,
        "latestSupportedTlsVersion": subscription.tls_version,
        "encryptionCertificate": None,
        "encryptionCertificateId": None,
        "notificationUrlAppId": None,
    }
