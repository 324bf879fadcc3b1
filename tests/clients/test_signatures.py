"""Webhook and push-notification signatures, checked against documented vectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zdcal.calendars.cronofy.signature import sign_notification, verify_notification
from zdcal.zendesk.signature import (
    sign_webhook,
    verify_webhook_signature,
    webhook_timestamp_fresh,
)

CRONOFY_SECRET = "opposable thumbs"
CRONOFY_BODY = b'{"example":"well-known"}'
CRONOFY_SIGNATURE = "38ArsN7+J/O8joGsgirVEdV16a/+eb+5QgHGIiuv4hk="  # Cronofy's documented vector


def test_cronofy_documented_vector() -> None:
    assert sign_notification(CRONOFY_SECRET, CRONOFY_BODY) == CRONOFY_SIGNATURE
    assert verify_notification(CRONOFY_SECRET, CRONOFY_BODY, CRONOFY_SIGNATURE)


def test_cronofy_any_of_several_rotated_signatures_matches() -> None:
    header = f"bm90IGl0=, {CRONOFY_SIGNATURE}"
    assert verify_notification(CRONOFY_SECRET, CRONOFY_BODY, header)
    assert verify_notification(CRONOFY_SECRET, CRONOFY_BODY, f"{CRONOFY_SIGNATURE},bm90IGl0=")


def test_cronofy_rejects_tampering_and_absence() -> None:
    assert not verify_notification(CRONOFY_SECRET, b'{"example":"well-known!"}', CRONOFY_SIGNATURE)
    assert not verify_notification("opposable thumb", CRONOFY_BODY, CRONOFY_SIGNATURE)
    assert not verify_notification(CRONOFY_SECRET, CRONOFY_BODY, None)
    assert not verify_notification(CRONOFY_SECRET, CRONOFY_BODY, "")
    assert not verify_notification("", CRONOFY_BODY, CRONOFY_SIGNATURE)


# Zendesk: base64(HMAC-SHA256(key=secret, msg=timestamp + body)). This vector was computed
# outside zdcal with `printf '%s' '2023-09-18T23:38:13Z{"ticket_id":"42"}' |
# openssl dgst -sha256 -hmac 'dGhlIHNpZ25pbmcgc2VjcmV0' -binary | base64`.
ZD_SECRET = "dGhlIHNpZ25pbmcgc2VjcmV0"
ZD_TIMESTAMP = "2023-09-18T23:38:13Z"
ZD_BODY = b'{"ticket_id":"42"}'
ZD_SIGNATURE = "TGQZZMmnkM6NqeyFBTbrbSNz7ZnEN+VkL1BmGV1xZ7Y="


def test_zendesk_signature_matches_the_independent_vector() -> None:
    assert sign_webhook(ZD_SECRET, ZD_TIMESTAMP, ZD_BODY) == ZD_SIGNATURE
    assert verify_webhook_signature(ZD_SECRET, ZD_TIMESTAMP, ZD_BODY, ZD_SIGNATURE)


def test_zendesk_signature_covers_timestamp_and_body() -> None:
    assert not verify_webhook_signature(ZD_SECRET, "2023-09-18T23:38:14Z", ZD_BODY, ZD_SIGNATURE)
    assert not verify_webhook_signature(ZD_SECRET, ZD_TIMESTAMP, ZD_BODY + b" ", ZD_SIGNATURE)
    assert not verify_webhook_signature("other", ZD_TIMESTAMP, ZD_BODY, ZD_SIGNATURE)
    assert not verify_webhook_signature(ZD_SECRET, ZD_TIMESTAMP, ZD_BODY, "")


def test_zendesk_timestamp_freshness_window() -> None:
    sent = datetime(2023, 9, 18, 23, 38, 13, tzinfo=UTC)
    window = timedelta(minutes=5)
    assert webhook_timestamp_fresh(ZD_TIMESTAMP, sent + timedelta(minutes=4), window)
    assert webhook_timestamp_fresh(ZD_TIMESTAMP, sent - timedelta(minutes=4), window)
    assert not webhook_timestamp_fresh(ZD_TIMESTAMP, sent + timedelta(minutes=6), window)
    assert not webhook_timestamp_fresh("yesterday", sent, window)
    assert not webhook_timestamp_fresh("2023-09-18T23:38:13", sent, window)  # no zone
