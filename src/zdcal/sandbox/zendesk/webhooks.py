"""Webhooks: validation of create/update bodies, ULID-like ids, signing secrets."""

from __future__ import annotations

import base64
import copy
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

from zdcal.sandbox.zendesk.assumptions import WEBHOOK_VALIDATION_STATUS
from zdcal.sandbox.zendesk.errors import WebhookApiError
from zdcal.sandbox.zendesk.model import Webhook
from zdcal.sandbox.zendesk.timestamps import iso_z

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_FORMATS = ("json", "xml", "form_encoded")
STATUSES = ("active", "inactive")
AUTH_TYPES = ("basic_auth", "bearer_token", "api_key")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(now: float) -> str:
    """A ULID: 48-bit milliseconds then 80 random bits, Crockford base32 (26 chars)."""
    value = (int(now * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_signing_secret() -> str:
    """A fresh base64 signing secret."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _invalid(detail: str) -> WebhookApiError:
    return WebhookApiError(WEBHOOK_VALIDATION_STATUS, "InvalidInput", "Invalid input", detail)


def _check_authentication(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in AUTH_TYPES:
        raise _invalid(f"authentication.type must be one of {', '.join(AUTH_TYPES)}")
    data = value.get("data") or {}
    kind = value["type"]
    if kind == "bearer_token" and not data.get("token"):
        raise _invalid("authentication.data.token is required for bearer_token")
    if kind == "basic_auth" and not (data.get("username") and data.get("password")):
        raise _invalid("authentication.data.username and password are required for basic_auth")
    if kind == "api_key" and not (data.get("name") and data.get("value")):
        raise _invalid("authentication.data.name and value are required for api_key")
    return {"type": kind, "data": dict(data), "add_position": value.get("add_position", "header")}


REQUIRED_FIELDS = ("name", "endpoint", "http_method", "request_format", "status")
# Writable fields a PUT clears when they are left out: PUT replaces the whole webhook.
REPLACED_WHEN_OMITTED: dict[str, Any] = {
    "subscriptions": [],
    "authentication": None,
    "description": None,
    "custom_headers": {},
}


def validated_webhook_fields(body: Any, *, mode: str) -> dict[str, Any]:
    """The webhook fields of a request body ``{"webhook": {...}}`` (422 when invalid).

    ``mode`` is ``"create"`` (POST), ``"replace"`` (PUT: the answer holds every writable
    field, omitted ones at their empty value) or ``"patch"`` (PATCH: only those given).
    """
    if not isinstance(body, dict) or not isinstance(body.get("webhook"), dict):
        raise _invalid("webhook object is required")
    given = body["webhook"]
    fields: dict[str, Any] = {}
    for name in REQUIRED_FIELDS:
        if name in given:
            fields[name] = given[name]
        elif mode != "patch":
            raise _invalid(f"{name} is required")
    if "name" in fields and (not isinstance(fields["name"], str) or not fields["name"].strip()):
        raise _invalid("name must be a non-empty string")
    if "endpoint" in fields:
        parts = urlsplit(str(fields["endpoint"]))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _invalid("endpoint must be an absolute http(s) URL")
    if "http_method" in fields and fields["http_method"] not in HTTP_METHODS:
        raise _invalid(f"http_method must be one of {', '.join(HTTP_METHODS)}")
    if "request_format" in fields and fields["request_format"] not in REQUEST_FORMATS:
        raise _invalid(f"request_format must be one of {', '.join(REQUEST_FORMATS)}")
    if "status" in fields and fields["status"] not in STATUSES:
        raise _invalid("status must be active or inactive")
    if "subscriptions" in given:
        subs = given["subscriptions"]
        if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
            raise _invalid("subscriptions must be a list of strings")
        fields["subscriptions"] = list(subs)
    if "authentication" in given:
        fields["authentication"] = _check_authentication(given["authentication"])
    if "description" in given:
        fields["description"] = given["description"]
    if "custom_headers" in given:
        headers = given["custom_headers"] or {}
        if not isinstance(headers, dict):
            raise _invalid("custom_headers must be an object")
        fields["custom_headers"] = {str(k): str(v) for k, v in headers.items()}
    if mode != "patch":
        for name, empty in REPLACED_WHEN_OMITTED.items():
            fields.setdefault(name, copy.copy(empty))
    return fields


class WebhookRegistry:
    """The webhooks of the account, by id."""

    def __init__(self) -> None:
        self.by_id: dict[str, Webhook] = {}

    def clear(self) -> None:
        """Forget every webhook (sandbox reset)."""
        self.by_id.clear()

    def create(self, fields: dict[str, Any], actor_id: int, now: float) -> Webhook:
        """Store a validated webhook with a fresh id and signing secret."""
        stamp = int(now)
        webhook = Webhook(
            id=new_ulid(now),
            name=fields["name"],
            endpoint=fields["endpoint"],
            http_method=fields["http_method"],
            request_format=fields["request_format"],
            status=fields["status"],
            subscriptions=list(fields.get("subscriptions", [])),
            signing_secret=fields.get("signing_secret") or new_signing_secret(),
            created_at=stamp,
            created_by=actor_id,
            updated_at=stamp,
            updated_by=actor_id,
            description=fields.get("description"),
            authentication=fields.get("authentication"),
            custom_headers=fields.get("custom_headers", {}),
        )
        self.by_id[webhook.id] = webhook
        return webhook

    def get(self, webhook_id: str) -> Webhook:
        """The webhook, or the webhooks API's 404."""
        webhook = self.by_id.get(webhook_id)
        if webhook is None:
            raise WebhookApiError(
                404, "WebhookNotFound", "Webhook not found", f"No webhook with id {webhook_id}"
            )
        return webhook

    def update(self, webhook: Webhook, fields: dict[str, Any], actor_id: int, now: float) -> None:
        """Apply validated fields (PUT passes every writable one, PATCH some)."""
        for name, value in fields.items():
            setattr(webhook, name, value)
        webhook.updated_at = int(now)
        webhook.updated_by = actor_id


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """A webhook as the API shows it: authentication without its data, no secret."""
    body: dict[str, Any] = {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "subscriptions": list(webhook.subscriptions),
        "created_at": iso_z(webhook.created_at),
        "created_by": str(webhook.created_by),
        "updated_at": iso_z(webhook.updated_at),
        "updated_by": str(webhook.updated_by),
        "endpoint": webhook.endpoint,
        "http_method": webhook.http_method,
        "request_format": webhook.request_format,
    }
    if webhook.description is not None:
        body["description"] = webhook.description
    if webhook.authentication is not None:
        body["authentication"] = {
            "type": webhook.authentication["type"],
            "add_position": webhook.authentication.get("add_position", "header"),
        }
    if webhook.custom_headers:
        body["custom_headers"] = dict(webhook.custom_headers)
    return body
