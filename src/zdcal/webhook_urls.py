"""Where zdcal receives notifications: the one place the receivers' paths are spelled.

The web app routes these paths; the Zendesk webhook (``zdcal bootstrap``) and each agent's
calendar push channel (for backends that push) are created pointing at the same paths under
the public URL, and a push is only taken as ours when its channel's callback URL is the one
built here.
"""

from __future__ import annotations

WEBHOOKS_PREFIX = "/webhooks/"
"""Everything under it answers JSON, never a page."""

ZENDESK_RECEIVER = "/webhooks/zendesk/{account_key}"


def calendar_receiver_path(backend: str) -> str:
    """The route of the push receiver of the calendar backend called ``backend``, with
    ``{account_key}`` and ``{user_id}`` left to fill (Cronofy's: ``/webhooks/cronofy/…``)."""
    return WEBHOOKS_PREFIX + backend + "/{account_key}/{user_id}"


LIFECYCLE_SUFFIX = "/lifecycle"
"""After a receiver's path: where a service sends notices about the channel itself
(Microsoft Graph's lifecycle notifications), as opposed to changes."""


def calendar_lifecycle_path(backend: str) -> str:
    """The route of the channel-lifecycle receiver of ``backend`` (same placeholders)."""
    return calendar_receiver_path(backend) + LIFECYCLE_SUFFIX


def lifecycle_url(callback_url: str) -> str:
    """The lifecycle address beside a channel's callback URL
    (:func:`calendar_receiver_url`)."""
    return callback_url.rstrip("/") + LIFECYCLE_SUFFIX


def zendesk_receiver_url(public_url: str, account_key: str) -> str:
    """Where the account's Zendesk webhook posts."""
    return public_url.rstrip("/") + ZENDESK_RECEIVER.format(account_key=account_key)


def calendar_receiver_url(
    public_url: str, backend: str, account_key: str, zendesk_user_id: int
) -> str:
    """Where an agent's calendar pushes notifications (the push channel's callback URL)."""
    return public_url.rstrip("/") + calendar_receiver_path(backend).format(
        account_key=account_key, user_id=zendesk_user_id
    )
