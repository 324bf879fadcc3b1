"""A strict checker of Graph v1.0 response bodies against the documented resource properties.

Property lists and types come from the "Properties" tables of the Microsoft Graph v1.0 resource
pages (learn.microsoft.com/graph/api/resources/<name>; sources in
microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/resources/<name>.md): event,
calendar, subscription, user (the default ``/me`` selection), dateTimeTimeZone, itemBody,
location, physicalAddress, outlookGeoCoordinates, recipient, emailAddress, responseStatus,
emailAddress, singleValueLegacyExtendedProperty, and the error body of "Microsoft Graph error
responses and resource types" (/graph/errors). A property the page does not declare is a
failure, as is a wrong type or a malformed timestamp; ``value`` items of a collection are
checked one by one, and a delta page's ``@removed`` entries against their documented shape.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z")
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}")

# Type specs: "string", "bool", "int", "timestamp", "any", "string[]", "<shape>", "<shape>[]";
# a trailing "?" means nullable.
SHAPES: dict[str, dict[str, str]] = {
    "event": {
        "@odata.etag": "string", "id": "string", "createdDateTime": "timestamp",
        "lastModifiedDateTime": "timestamp", "changeKey": "string", "categories": "string[]",
        "transactionId": "string?", "originalStartTimeZone": "string",
        "originalEndTimeZone": "string", "originalStart": "timestamp?", "iCalUId": "string",
        "reminderMinutesBeforeStart": "int", "isReminderOn": "bool", "hasAttachments": "bool",
        "subject": "string", "bodyPreview": "string", "importance": "importance",
        "sensitivity": "sensitivity", "isAllDay": "bool", "isCancelled": "bool",
        "isOrganizer": "bool", "responseRequested": "bool", "seriesMasterId": "string?",
        "showAs": "showAs", "type": "eventType", "webLink": "string",
        "onlineMeetingUrl": "string?", "isOnlineMeeting": "bool",
        "onlineMeetingProvider": "onlineMeetingProviderType", "allowNewTimeProposals": "bool",
        "isDraft": "bool", "hideAttendees": "bool", "responseStatus": "responseStatus",
        "body": "itemBody", "start": "dateTimeTimeZone", "end": "dateTimeTimeZone",
        "location": "location", "locations": "location[]", "recurrence": "any?",
        "attendees": "any[]", "organizer": "recipient", "onlineMeeting": "any?",
        "singleValueExtendedProperties": "singleValueLegacyExtendedProperty[]",
    },
    "calendar": {
        "id": "string", "name": "string", "color": "string", "hexColor": "string",
        "isDefaultCalendar": "bool", "changeKey": "string", "canShare": "bool",
        "canViewPrivateItems": "bool", "canEdit": "bool",
        "allowedOnlineMeetingProviders": "string[]", "defaultOnlineMeetingProvider": "string",
        "isTallyingResponses": "bool", "isRemovable": "bool", "owner": "emailAddress",
    },
    "subscription": {
        "id": "string", "resource": "string", "applicationId": "string", "changeType": "string",
        "clientState": "string?", "notificationUrl": "string",
        "notificationQueryOptions": "string?", "lifecycleNotificationUrl": "string?",
        "expirationDateTime": "timestamp", "creatorId": "string", "includeResourceData": "bool",
        "latestSupportedTlsVersion": "string", "encryptionCertificate": "string?",
        "encryptionCertificateId": "string?", "notificationUrlAppId": "string?",
    },
    "user": {
        "businessPhones": "string[]", "displayName": "string", "givenName": "string?",
        "jobTitle": "string?", "mail": "string?", "mobilePhone": "string?",
        "officeLocation": "string?", "preferredLanguage": "string?", "surname": "string?",
        "userPrincipalName": "string", "id": "string",
    },
    "dateTimeTimeZone": {"dateTime": "localDateTime", "timeZone": "string"},
    "itemBody": {"contentType": "bodyType", "content": "string"},
    "location": {
        "displayName": "string", "locationType": "string", "uniqueIdType": "string",
        "address": "physicalAddress", "coordinates": "outlookGeoCoordinates",
        "locationEmailAddress": "string?", "locationUri": "string?", "uniqueId": "string?",
    },
    "physicalAddress": {"city": "string?", "countryOrRegion": "string?",
                        "postalCode": "string?", "state": "string?", "street": "string?"},
    "outlookGeoCoordinates": {"accuracy": "any?", "altitude": "any?",
                              "altitudeAccuracy": "any?", "latitude": "any?",
                              "longitude": "any?"},
    "recipient": {"emailAddress": "emailAddress"},
    "emailAddress": {"name": "string", "address": "string"},
    "responseStatus": {"response": "string", "time": "timestamp"},
    "singleValueLegacyExtendedProperty": {"id": "string", "value": "string"},
}
ENUMS = {
    "importance": ("low", "normal", "high"),
    "sensitivity": ("normal", "personal", "private", "confidential"),
    "showAs": ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown"),
    "eventType": ("singleInstance", "occurrence", "exception", "seriesMaster"),
    "onlineMeetingProviderType": ("unknown", "teamsForBusiness", "skypeForBusiness",
                                  "skypeForConsumer"),
    "bodyType": ("text", "html"),
}
PARTIAL_OK = {"physicalAddress", "outlookGeoCoordinates", "location"}
"""Complex types whose unset properties Graph leaves out (an empty address is ``{}``)."""
REQUIRED_OPTIONAL = {"transactionId", "originalStart", "singleValueExtendedProperties"}
"""Event properties that may be absent from a full event (see the event page's notes)."""


def _check(value: Any, spec: str, where: str, found: list[str], partial: bool) -> None:
    nullable = spec.endswith("?")
    spec = spec.rstrip("?")
    if value is None:
        if not nullable:
            found.append(f"{where}: null where {spec} is required")
        return
    if spec.endswith("[]"):
        if not isinstance(value, list):
            found.append(f"{where}: expected an array")
            return
        for index, item in enumerate(value):
            _check(item, spec[:-2], f"{where}[{index}]", found, partial)
        return
    simple = {"string": str, "bool": bool, "int": int}
    if spec == "any":
        return
    if spec in simple:
        kind = simple[spec]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            found.append(f"{where}: expected {spec}, got {value!r}")
    elif spec == "timestamp":
        if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
            found.append(f"{where}: not a UTC timestamp: {value!r}")
    elif spec == "localDateTime":
        if not isinstance(value, str) or not _LOCAL.fullmatch(value):
            found.append(f"{where}: not a dateTimeTimeZone dateTime: {value!r}")
        else:
            datetime.fromisoformat(value[:19])
    elif spec in ENUMS:
        if value not in ENUMS[spec]:
            found.append(f"{where}: {value!r} not one of {ENUMS[spec]}")
    else:
        found.extend(object_problems(value, spec, where, partial=partial))


def object_problems(value: Any, shape: str, where: str = "",
                    partial: bool = False) -> list[str]:
    """Everything wrong with ``value`` as a ``shape``; ``partial`` for ``$select`` answers."""
    where = where or shape
    if not isinstance(value, dict):
        return [f"{where}: expected an object"]
    properties = SHAPES[shape]
    found: list[str] = []
    for key, item in value.items():
        if key == "@odata.context" and shape in ("event", "calendar", "subscription", "user"):
            continue
        if key not in properties:
            found.append(f"{where}.{key}: not a property of {shape}")
        else:
            _check(item, properties[key], f"{where}.{key}", found, partial)
    if not partial and shape not in PARTIAL_OK:
        missing = set(properties) - set(value) - REQUIRED_OPTIONAL
        found.extend(f"{where}.{key}: missing" for key in sorted(missing))
    return found


def error_problems(body: dict[str, Any]) -> list[str]:
    error = body.get("error")
    if set(body) != {"error"} or not isinstance(error, dict):
        return ["error body is not {'error': {...}}"]
    found = []
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        found.append("error.code/message missing")
    inner = error.get("innerError")
    if not isinstance(inner, dict) or not {"date", "request-id"} <= set(inner):
        found.append("error.innerError lacks date/request-id")
    return found


_ENTITY = re.compile(r"#(?:users\('[^']+'\)/)?(events|calendars|subscriptions|users)/\$entity$")
_COLLECTION = re.compile(r"#(?:users\('[^']+'\)/)?(events|calendars|subscriptions)$|"
                         r"#Collection\((event)\)$")
_SHAPE_OF = {"events": "event", "calendars": "calendar", "subscriptions": "subscription",
             "users": "user", "event": "event"}


def body_problems(body: Any, *, partial: bool = False) -> list[str]:
    """A Graph answer body checked by what its ``@odata.context`` (or ``error``) says it is."""
    if not isinstance(body, dict):
        return [f"not a JSON object: {body!r}"]
    if "error" in body:
        return error_problems(body)
    if "responses" in body:
        found = []
        for answer in body["responses"]:
            if set(answer) - {"id", "status", "headers", "body"}:
                found.append(f"batch answer {answer.get('id')}: unknown keys")
            if "body" in answer:
                found += [f"batch {answer['id']}: {p}" for p in body_problems(answer["body"],
                                                                              partial=partial)]
        return found
    context = str(body.get("@odata.context", ""))
    entity = _ENTITY.search(context)
    if entity:
        return object_problems(body, _SHAPE_OF[entity.group(1)], partial=partial)
    collection = _COLLECTION.search(context)
    if collection is None:
        return [f"no known @odata.context: {context!r}"]
    shape = _SHAPE_OF[collection.group(1) or collection.group(2)]
    allowed = {"@odata.context", "value", "@odata.nextLink", "@odata.deltaLink"}
    found = [f"collection key {k!r} unknown" for k in set(body) - allowed]
    for index, item in enumerate(body.get("value", [])):
        if isinstance(item, dict) and "@removed" in item:
            if set(item) - {"@odata.type", "id", "@removed"} or item["@removed"] != {
                "reason": "deleted"
            }:
                found.append(f"value[{index}]: bad @removed entry {item}")
            continue
        found += object_problems(item, shape, f"value[{index}]", partial=partial)
    return found
