"""Zendesk's signed URLs: the RS256 JWT Zendesk POSTs (form field ``token``) when it
loads one of the app's locations, checked before anything is shown.

The token names the account (``iss`` = ``<subdomain>.zendesk.com``), the installation
(``aud`` = that installation's API URL) and the viewing user (``sub``: see
``zdcal.sandbox.zendesk.assumptions.SIGNED_URL_USER_CLAIM``). zdcal asks the account's
own Zendesk, with the account's credentials, which app the installation is, whether it
is enabled and whether its ``zdcal_url`` setting names this zdcal; then fetches that
app's public key. A token is accepted once: its digest is claimed in the table that
remembers Zendesk's webhook deliveries, kept as long as the webhook replay window, and a
token older than that window is refused, so a forgotten digest cannot be replayed.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import jwt

from zdcal.domain import parse_id
from zdcal.live.services import Services
from zdcal.store import Account
from zdcal.web.pages.errors import PageError
from zdcal.zendesk.errors import ZendeskError

MAX_TOKEN_LENGTH = 8192
LEEWAY_SECONDS = 30
"""Clock skew allowed between Zendesk and zdcal on ``iat`` and ``exp``."""
INSTALLATION_SETTING = "zdcal_url"
"""The app's installation parameter naming the zdcal it talks to."""
KEY_CACHE_SIZE = 256
KEY_CACHE_SECONDS = 3600
_ISSUER = re.compile(r"([a-z0-9][a-z0-9-]{0,62})\.zendesk\.com")
_AUDIENCE = re.compile(r"https://([a-z0-9][a-z0-9-]{0,62})\.zendesk\.com"
                       r"/api/v2/apps/installations/([0-9]{1,18})\.json")
REPLAY_KEY_PREFIX = "app-jwt:"


class SignedUrlRefused(PageError):
    """Zendesk's token is missing, forged, expired, replayed or not for this zdcal."""

    status = 401
    title = "This app view could not be verified"
    account: Account | None = None
    """The account the token claimed, once known: its Zendesk may frame the refusal."""


@dataclass(frozen=True)
class AppViewer:
    """Who opened the app, as Zendesk's signature proves it."""

    account: Account
    zendesk_user_id: int
    installation_id: int


class PublicKeys:
    """The apps' public keys by (account, installation), bounded and expiring, so a key
    is not fetched on every app view and a rotated key is picked up within the hour."""

    def __init__(self) -> None:
        self._keys: OrderedDict[tuple[int, int], tuple[str, float]] = OrderedDict()

    async def key(self, services: Services, account: Account, installation_id: int) -> str:
        now = services.clock.now().timestamp()
        found = self._keys.get((account.id, installation_id))
        if found is not None and now - found[1] < KEY_CACHE_SECONDS:
            return found[0]
        pem = await _fetch_key(services, account, installation_id)
        self._keys[(account.id, installation_id)] = (pem, now)
        self._keys.move_to_end((account.id, installation_id))
        while len(self._keys) > KEY_CACHE_SIZE:
            self._keys.popitem(last=False)
        return pem


async def _fetch_key(services: Services, account: Account, installation_id: int) -> str:
    client = services.runtime.zendesk_client(account, services.zendesk_http)
    try:
        installation = await client.app_installation(installation_id)
        wanted = services.settings.public_url.rstrip("/")
        named = str(installation.settings.get(INSTALLATION_SETTING) or "").rstrip("/")
        if not installation.enabled or named != wanted:
            raise SignedUrlRefused(
                "This Zendesk app is not installed for this zdcal: its zdcal URL setting "
                "must be " + wanted + "."
            )
        return await client.app_public_key(installation.app_id)
    except ZendeskError as exc:
        raise SignedUrlRefused(
            "zdcal could not read this app's key from Zendesk; reload the app in a minute."
        ) from exc


async def verify_signed_url(services: Services, keys: PublicKeys, token: str) -> AppViewer:
    """The viewer a Zendesk signed-URL token proves; :class:`SignedUrlRefused` otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SignedUrlRefused("Open zdcal from its app inside Zendesk.")
    try:
        if jwt.get_unverified_header(token).get("alg") != "RS256":
            raise SignedUrlRefused("This app view was not signed by Zendesk.")
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise SignedUrlRefused("This app view was not signed by Zendesk.") from exc
    issuer, audience = unverified.get("iss"), unverified.get("aud")
    issued = _ISSUER.fullmatch(issuer) if isinstance(issuer, str) else None
    aimed = _AUDIENCE.fullmatch(audience) if isinstance(audience, str) else None
    if issued is None or aimed is None or aimed.group(1) != issued.group(1):
        raise SignedUrlRefused("This app view is not for a Zendesk account zdcal knows.")
    async with services.store.transaction() as tx:
        account = await tx.accounts.get_by_subdomain(issued.group(1))
    if account is None:
        raise SignedUrlRefused("This Zendesk account is not connected to zdcal.")
    try:
        return await _verify_for(services, keys, token, account, int(aimed.group(2)))
    except SignedUrlRefused as refused:
        refused.account = account
        raise


async def _verify_for(
    services: Services, keys: PublicKeys, token: str, account: Account, installation_id: int
) -> AppViewer:
    """The rest of :func:`verify_signed_url`, once the claimed account is known."""
    issuer = f"{account.subdomain}.zendesk.com"
    audience = f"https://{issuer}/api/v2/apps/installations/{installation_id}.json"
    pem = await keys.key(services, account, installation_id)
    try:
        claims = jwt.decode(
            token, pem, algorithms=["RS256"], audience=audience, issuer=issuer,
            options={"require": ["iss", "aud", "iat", "exp", "sub"],
                     "verify_exp": False, "verify_iat": False},
        )
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise SignedUrlRefused("This app view was not signed by Zendesk.") from exc
    _check_times(services, claims.get("iat"), claims.get("exp"))
    user_id = parse_id(str(claims.get("sub"))) if len(str(claims.get("sub"))) <= 18 else None
    if user_id is None:
        raise SignedUrlRefused("Zendesk did not say who opened the app.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with services.store.transaction() as tx:
        claimed = await tx.deliveries.claim([(account.id, REPLAY_KEY_PREFIX + digest)])
    if not claimed:
        raise SignedUrlRefused("This app view was already opened once; reload the app.")
    return AppViewer(account, user_id, installation_id)


def _check_times(services: Services, issued_at: object, expires: object) -> None:
    if not isinstance(issued_at, int) or not isinstance(expires, int):
        raise SignedUrlRefused("This app view was not signed by Zendesk.")
    now = services.clock.now().timestamp()
    # Digests of used tokens are remembered twice the webhook window (see the module's
    # docstring): older tokens are refused, whatever their ``exp`` says.
    window = timedelta(seconds=services.settings.webhook_replay_window_seconds)
    if expires + LEEWAY_SECONDS < now or now - issued_at > window.total_seconds():
        raise SignedUrlRefused("This app view expired; reload the app.")
    if issued_at - LEEWAY_SECONDS > now:
        raise SignedUrlRefused("This app view was signed in the future; check the clocks.")
