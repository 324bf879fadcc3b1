"""A small async CalDAV client: exactly what zdcal needs, over zdcal's own HTTP rules.

Discovery (RFC 6764 ``/.well-known/caldav``, RFC 5397 ``current-user-principal``,
RFC 4791 ``calendar-home-set``), the calendars of a home with their writability and
components, conditional writes (``If-None-Match: *`` to create, ``If-Match`` to update,
412 → :class:`ObjectChanged`), reads, deletes, and change polling: RFC 6578
``sync-collection`` where the calendar has a ``sync-token``, else the CalendarServer
``getctag`` plus an etag listing. A poll with nothing changed is one request either way.

Why httpx here and not the ``caldav`` library (checked: caldav 3.6.0):

* caldav 3.x does have an async API (``caldav.aio.AsyncDAVClient``), but it runs on
  ``niquests`` (httpx only as a fallback) and its domain objects became "dual-mode"
  (sync or async) in a recent rewrite. Using it would bring a second HTTP stack with its
  own retries, timeouts and TLS errors, beside the one policy every other remote API in
  zdcal goes through (:func:`zdcal.http.send`: bounded retries, Retry-After, pacing).
* zdcal needs precise control the library hides or spells differently: the stored ETag
  on every write, 412 as a typed outcome, "nothing changed" costing one request, and
  errors mapped once, here, to classes the rest of zdcal can word for people (401,
  TLS, not CalDAV, calendar gone).
* What zdcal uses of CalDAV is small (one object per task, no recurrence, no
  scheduling, no search), a few hundred lines with the XML in :mod:`.multistatus`;
  the objects themselves are built and read with the well-kept ``icalendar``.

The client is tested against two real servers, Radicale and Xandikos, on loopback.
Guesses about servers it has not met are listed, with reasons, in :mod:`.assumptions`.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Unpack
from urllib.parse import quote, urljoin, urlsplit

import httpx

from zdcal.calendars.caldav import multistatus as dav
from zdcal.calendars.caldav.assumptions import (
    ASSUME_WRITABLE_WITHOUT_PRIVILEGES,
    OBJECT_PRECONDITIONS,
    SYNC_UNSUPPORTED_STATUSES,
    WRITE_PRIVILEGES,
)
from zdcal.calendars.caldav.errors import (
    AccessDenied,
    AuthenticationFailed,
    CalDAVError,
    CalendarGone,
    NotCalDAV,
    ObjectChanged,
    Rejected,
    ServerError,
    SyncTokenInvalid,
    TLSFailure,
    Unreachable,
)
from zdcal.closing import AsyncClosing
from zdcal.http.remote import HttpOptions, RemoteApi
from zdcal.http.retry import is_tls_failure

ICALENDAR = "text/calendar; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_MAX_SYNC_ROUNDS = 100  # a server that truncates forever must not loop us forever


@dataclass(frozen=True)
class Discovery:
    """Where an account lives on its server."""

    principal_url: str
    calendar_home_url: str


@dataclass(frozen=True)
class RemoteCalendar:
    """One calendar collection in the account's calendar home."""

    url: str
    name: str
    writable: bool
    accepts_events: bool
    ctag: str | None
    sync_token: str | None

    @property
    def supports_sync_collection(self) -> bool:
        """RFC 6578: a collection that supports the sync REPORT has a ``sync-token``."""
        return self.sync_token is not None

    @property
    def usable(self) -> bool:
        """Whether zdcal can put task events here."""
        return self.writable and self.accepts_events


@dataclass(frozen=True)
class CalendarObject:
    """One stored object: its URL, ETag (if the server gave one) and data."""

    url: str
    etag: str | None
    data: bytes


class SyncMethod(enum.Enum):
    SYNC_COLLECTION = "sync-collection"
    CTAG = "ctag"


@dataclass(frozen=True)
class CollectionState:
    """What a poll remembers about a calendar between rounds (store it per calendar).

    ``token`` is the sync token (sync-collection) or the last ``getctag`` (CTag); ``etags``
    are the members' etags, kept only for the CTag method (its way to find what changed).
    ``token=None`` means "never polled": the next poll lists every member.
    """

    method: SyncMethod
    token: str | None = None
    etags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def first_for(cls, calendar: RemoteCalendar) -> CollectionState:
        """The state before the first poll: sync-collection where the calendar has it."""
        if calendar.supports_sync_collection:
            return cls(SyncMethod.SYNC_COLLECTION)
        return cls(SyncMethod.CTAG)


@dataclass(frozen=True)
class Changes:
    """What changed in a calendar since the previous poll.

    ``changed`` maps member URLs to their new etags; ``deleted`` are member URLs gone.
    ``complete`` is True when ``changed`` lists *every* member (a first poll, or a reset
    after the server dropped our token): then anything zdcal recorded that is not in it
    is gone too, whatever ``deleted`` says.
    """

    changed: dict[str, str | None]
    deleted: frozenset[str]
    state: CollectionState
    complete: bool


class CalDAVClient(AsyncClosing):
    """One CalDAV account (base URL, username, app password). Owns its httpx client
    only if it made it; ``verify`` is what to trust for TLS (a context, or True)."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        **http: Unpack[HttpOptions],
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        # Sent with every request (not after a 401 challenge): one round trip per call.
        self._authorization = _basic_authorization(username, password)
        self._api = RemoteApi(on_failure=self._unreachable, **http)
        self.requests_sent = 0
        """Requests sent so far, retries included (for tests and benchmarks)."""

    async def aclose(self) -> None:
        await self._api.aclose()

    # Discovery and calendars

    async def discover(self) -> Discovery:
        """The account's principal and calendar home, starting from the base URL.

        A URL with a path (``https://host/remote.php/dav``) is asked first; then the host's
        ``/.well-known/caldav`` (RFC 6764), whose redirect names the context path.
        """
        candidates = []
        if urlsplit(self.url).path not in ("", "/"):
            candidates.append(self.url)
        candidates.append(urljoin(self.url, "/.well-known/caldav"))
        principal = None
        for candidate in candidates:
            principal = await self._current_user_principal(candidate)
            if principal is not None:
                break
        if principal is None:
            raise NotCalDAV(f"{self._origin()} names no current-user-principal: not CalDAV")
        found = await self._propfind_one(principal, dav.CALENDAR_HOME_SET)
        home = found.href_in(dav.CALENDAR_HOME_SET) if found else None
        if home is None:
            raise NotCalDAV(f"the principal at {urlsplit(principal).path} has no calendar home")
        return Discovery(principal_url=principal, calendar_home_url=urljoin(principal, home))

    async def calendars(self, calendar_home_url: str) -> list[RemoteCalendar]:
        """The calendars in a home (other collections are left out), in the server's order."""
        props = (
            dav.RESOURCETYPE, dav.DISPLAYNAME, dav.SUPPORTED_COMPONENTS,
            dav.CURRENT_USER_PRIVILEGE_SET, dav.GETCTAG, dav.SYNC_TOKEN,
        )  # fmt: skip
        listing = await self._propfind(calendar_home_url, props, depth="1")
        found = []
        for response in listing.responses:
            kinds = response.props.get(dav.RESOURCETYPE)
            if kinds is None or kinds.find(dav.name(dav.CALDAV, "calendar")) is None:
                continue
            url = urljoin(calendar_home_url, response.href)
            found.append(
                RemoteCalendar(
                    url=url,
                    name=response.text(dav.DISPLAYNAME) or urlsplit(url).path.rstrip("/"),
                    writable=_writable(response),
                    accepts_events=_accepts_events(response),
                    ctag=response.text(dav.GETCTAG),
                    sync_token=response.text(dav.SYNC_TOKEN),
                )
            )
        return found

    # Objects

    def object_url(self, calendar_url: str, event_id: str) -> str:
        """Where zdcal keeps the object of ``event_id``: ``<calendar>/<event id>.ics``."""
        base = calendar_url if calendar_url.endswith("/") else calendar_url + "/"
        return urljoin(base, quote(event_id, safe="") + ".ics")

    async def create(self, url: str, data: bytes) -> str | None:
        """PUT a new object (``If-None-Match: *``); its ETag, if the server gave one.
        :class:`ObjectChanged` when something already lives at ``url``."""
        return await self._put(url, data, {"If-None-Match": "*"})

    async def update(self, url: str, data: bytes, etag: str) -> str | None:
        """PUT over the object last seen with ``etag`` (``If-Match``); its new ETag.
        :class:`ObjectChanged` when it was changed or deleted since."""
        return await self._put(url, data, {"If-Match": etag})

    async def get(self, url: str) -> CalendarObject | None:
        """The object at ``url``; None when there is none (404/410)."""
        response = await self._request("GET", url, idempotent=True)
        if response.status_code in (404, 410):
            return None
        self._raise_for(response)
        return CalendarObject(url, response.headers.get("etag"), response.content)

    async def delete(self, url: str, etag: str | None = None) -> None:
        """DELETE the object; absent already is fine. With ``etag``: only that version
        (:class:`ObjectChanged` if it changed since)."""
        headers = {"If-Match": etag} if etag else {}
        response = await self._request("DELETE", url, headers=headers, idempotent=True)
        if response.status_code in (404, 410):
            return
        if response.status_code == 412:
            raise ObjectChanged(_where(response, "changed since it was read"), status=412)
        self._raise_for(response)

    async def multiget(self, calendar_url: str, urls: list[str]) -> list[CalendarObject]:
        """RFC 4791 ``calendar-multiget``: many objects in one request; missing ones are
        left out."""
        if not urls:
            return []
        paths = [urlsplit(u).path for u in urls]
        answer = await self._report(calendar_url, dav.multiget_body(paths))
        found = []
        for response in answer.responses:
            data = response.text(dav.CALENDAR_DATA)
            if data is None:
                continue
            found.append(
                CalendarObject(
                    urljoin(calendar_url, response.href),
                    response.text(dav.GETETAG),
                    data.encode(),
                )
            )
        return found

    # Polling

    async def poll(self, calendar_url: str, state: CollectionState) -> Changes:
        """What changed since ``state`` (a fresh ``CollectionState`` on the first poll)."""
        if state.method is SyncMethod.SYNC_COLLECTION:
            try:
                return await self._poll_sync_collection(calendar_url, state.token)
            except SyncTokenInvalid:
                # The server forgot our token: start over with a full listing (gcal_sync's
                # rule: reset and resync rather than guess).
                return await self._poll_sync_collection(calendar_url, None)
            except _SyncUnsupported:
                return await self._poll_ctag(calendar_url, CollectionState(SyncMethod.CTAG))
        return await self._poll_ctag(calendar_url, state)

    async def sync_collection(
        self, calendar_url: str, token: str | None
    ) -> tuple[dict[str, str | None], frozenset[str], str]:
        """RFC 6578: changed members (URL → etag), removed members and the new token.
        Follows truncated answers (507 on the collection) until complete."""
        changed: dict[str, str | None] = {}
        deleted: set[str] = set()
        own_path = urlsplit(calendar_url).path
        for _ in range(_MAX_SYNC_ROUNDS):
            answer = await self._sync_report(calendar_url, token)
            truncated = False
            for response in answer.responses:
                url = urljoin(calendar_url, response.href)
                if urlsplit(url).path == own_path:
                    truncated = truncated or response.status == 507
                    continue
                if response.status in (404, 410):
                    deleted.add(url)
                    changed.pop(url, None)
                else:
                    changed[url] = response.text(dav.GETETAG)
                    deleted.discard(url)
            if answer.sync_token is None:
                raise ServerError(f"sync-collection of {own_path} answered no sync-token")
            token = answer.sync_token
            if not truncated:
                return changed, frozenset(deleted), token
        raise ServerError(f"sync-collection of {own_path} never finished")

    async def ctag(self, calendar_url: str) -> str | None:
        """The calendar's ``getctag`` (changes whenever anything in it does)."""
        found = await self._propfind_one(calendar_url, dav.GETCTAG)
        if found is None:
            raise CalendarGone(f"no calendar at {urlsplit(calendar_url).path}", status=404)
        return found.text(dav.GETCTAG)

    async def etags(self, calendar_url: str) -> dict[str, str]:
        """Every member's URL and etag (PROPFIND ``Depth: 1``)."""
        listing = await self._propfind(calendar_url, (dav.GETETAG,), depth="1")
        own_path = urlsplit(calendar_url).path
        members = {}
        for response in listing.responses:
            url = urljoin(calendar_url, response.href)
            etag = response.text(dav.GETETAG)
            if urlsplit(url).path != own_path and etag is not None:
                members[url] = etag
        return members

    async def _poll_sync_collection(self, calendar_url: str, token: str | None) -> Changes:
        changed, deleted, new_token = await self.sync_collection(calendar_url, token)
        return Changes(
            changed=changed,
            deleted=deleted,
            state=CollectionState(SyncMethod.SYNC_COLLECTION, new_token),
            complete=token is None,
        )

    async def _poll_ctag(self, calendar_url: str, state: CollectionState) -> Changes:
        ctag = await self.ctag(calendar_url)
        if ctag is not None and state.token == ctag:
            return Changes({}, frozenset(), state, complete=False)
        members = await self.etags(calendar_url)
        changed: dict[str, str | None] = {
            url: etag for url, etag in members.items() if state.etags.get(url) != etag
        }
        deleted = frozenset(state.etags.keys() - members.keys())
        return Changes(
            changed=changed,
            deleted=deleted,
            state=CollectionState(SyncMethod.CTAG, ctag, members),
            complete=state.token is None,
        )

    # Requests

    async def _current_user_principal(self, url: str) -> str | None:
        """The principal URL a context path names, following up to a few redirects."""
        for _ in range(5):
            response = await self._request(
                "PROPFIND", url, headers={"Depth": "0", "Content-Type": _XML},
                content=dav.propfind_body(dav.CURRENT_USER_PRINCIPAL), idempotent=True,
            )  # fmt: skip
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code == 401:
                raise self._error_for(response)
            if response.status_code != 207:
                return None
            try:
                answer = dav.parse_multistatus(response.content)
            except dav.NotMultistatus:
                return None
            for found in answer.responses:
                href = found.href_in(dav.CURRENT_USER_PRINCIPAL)
                if href is not None:
                    return urljoin(url, href)
            return None
        return None

    async def _propfind(self, url: str, props: tuple[str, ...], *, depth: str) -> dav.Multistatus:
        response = await self._request(
            "PROPFIND", url, headers={"Depth": depth, "Content-Type": _XML},
            content=dav.propfind_body(*props), idempotent=True,
        )  # fmt: skip
        if response.status_code in (404, 410):
            raise CalendarGone(_where(response, "is gone"), status=response.status_code)
        answer = self._multistatus(response)
        own_path = urlsplit(url).path
        for found in answer.responses:
            # Xandikos answers a PROPFIND of a deleted collection 207 with a 404 inside.
            if found.status in (404, 410) and urlsplit(urljoin(url, found.href)).path == own_path:
                raise CalendarGone(_where(response, "is gone"), status=found.status)
        return answer

    async def _propfind_one(self, url: str, prop: str) -> dav.DavResponse | None:
        answer = await self._propfind(url, (prop,), depth="0")
        return answer.responses[0] if answer.responses else None

    async def _report(self, url: str, body: bytes) -> dav.Multistatus:
        response = await self._request(
            "REPORT", url, headers={"Depth": "1", "Content-Type": _XML}, content=body,
            idempotent=True,
        )  # fmt: skip
        if response.status_code in (404, 410):
            raise CalendarGone(_where(response, "is gone"), status=response.status_code)
        return self._multistatus(response)

    async def _sync_report(self, url: str, token: str | None) -> dav.Multistatus:
        response = await self._request(
            "REPORT", url, headers={"Depth": "0", "Content-Type": _XML},
            content=dav.sync_collection_body(token), idempotent=True,
        )  # fmt: skip
        status = response.status_code
        if 400 <= status < 500 and status not in (401, 404, 410):
            conditions = dav.error_conditions(response.content)
            if "valid-sync-token" in conditions or token is not None:
                # RFC 6578 fixes the precondition, not the status (Radicale 403,
                # Xandikos 412): any refusal of a tokened sync means "start over".
                raise SyncTokenInvalid(_where(response, "refused our sync token"), status=status)
        if status in SYNC_UNSUPPORTED_STATUSES and token is None:
            raise _SyncUnsupported(_where(response, "has no sync-collection"), status=status)
        if status in (404, 410):
            raise CalendarGone(_where(response, "is gone"), status=status)
        return self._multistatus(response)

    async def _put(self, url: str, data: bytes, conditions: dict[str, str]) -> str | None:
        response = await self._request(
            "PUT", url, headers={"Content-Type": ICALENDAR, **conditions}, content=data,
            # Conditional, so a repeat after a lost answer cannot overwrite someone
            # else's change: it gets 412 instead.
            idempotent=True,
        )  # fmt: skip
        status = response.status_code
        named = dav.error_conditions(response.content) if status >= 400 else []
        refusal = next((c for c in named if c in OBJECT_PRECONDITIONS), None)
        if (status == 412 and refusal is None) or (status == 404 and "If-Match" in conditions):
            raise ObjectChanged(_where(response, "changed since it was read"), status=status)
        if status in (400, 403, 409, 412, 415, 422):
            reason = refusal or (named[0] if named else None)
            if status == 409 and reason is None and "If-None-Match" in conditions:
                # WebDAV: 409 on a PUT means the parent collection does not exist.
                raise CalendarGone(_where(response, "has no calendar"), status=status)
            raise Rejected(
                _where(response, f"refused the event ({reason or status})"),
                status=status,
                reason=reason,
            )
        self._raise_for(response)
        etag: str | None = response.headers.get("etag")
        return etag

    def _multistatus(self, response: httpx.Response) -> dav.Multistatus:
        if response.status_code != 207:
            self._raise_for(response)
            raise NotCalDAV(_where(response, f"answered {response.status_code}, not 207"))
        try:
            return dav.parse_multistatus(response.content)
        except dav.NotMultistatus as exc:
            raise NotCalDAV(_where(response, f"answered no WebDAV multistatus ({exc})")) from exc

    def _raise_for(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise self._error_for(response)

    def _error_for(self, response: httpx.Response) -> CalDAVError:
        status = response.status_code
        if status == 401:
            return AuthenticationFailed(
                _where(response, "refused the username or password"), status=status
            )
        if status == 403:
            return AccessDenied(_where(response, "refused access"), status=status)
        if status in (404, 410):
            return CalendarGone(_where(response, "is gone"), status=status)
        if status == 429 or status >= 500:
            return ServerError(_where(response, f"failed ({status})"), status=status)
        return CalDAVError(_where(response, f"answered {status}"), status=status)

    async def _request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        self.requests_sent += 1
        return await self._api.send(
            method,
            url,
            headers={**(headers or {}), "Authorization": self._authorization},
            content=content,
            idempotent=idempotent,
        )

    def _unreachable(self, exc: httpx.TransportError, request: httpx.Request) -> CalDAVError:
        where = f"{request.method} {urlsplit(str(request.url)).path}"
        if is_tls_failure(exc):
            return TLSFailure(
                f"{self._origin()}: the TLS certificate is not trusted or does not"
                f" match ({where})"
            )
        return Unreachable(f"{self._origin()} unreachable: {type(exc).__name__} ({where})")

    def _origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


class _SyncUnsupported(CalDAVError):
    """The calendar refused an initial sync-collection: poll it by CTag instead."""


def _basic_authorization(username: str, password: str) -> str:
    """HTTP Basic credentials (RFC 7617, UTF-8)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _where(response: httpx.Response, what: str) -> str:
    return f"{response.request.method} {response.request.url.path} {what}"


def _writable(response: dav.DavResponse) -> bool:
    privileges = response.props.get(dav.CURRENT_USER_PRIVILEGE_SET)
    if privileges is None:
        return ASSUME_WRITABLE_WITHOUT_PRIVILEGES
    granted = {
        child.tag
        for privilege in privileges.findall(dav.name(dav.DAV, "privilege"))
        for child in privilege
    }
    return any(needed <= granted for needed in WRITE_PRIVILEGES)


def _accepts_events(response: dav.DavResponse) -> bool:
    components = response.props.get(dav.SUPPORTED_COMPONENTS)
    if components is None:
        # RFC 4791 5.2.3: without the property, the calendar accepts any component.
        return True
    return any(
        comp.get("name", "").upper() == "VEVENT"
        for comp in components.findall(dav.name(dav.CALDAV, "comp"))
    )
