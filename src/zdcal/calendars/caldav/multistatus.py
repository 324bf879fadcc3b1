"""WebDAV XML: the request bodies zdcal sends and the ``207 Multi-Status`` answers.

Parsed by namespace, never by prefix (servers choose their own prefixes), with
``defusedxml`` because the XML comes from servers we do not control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"


def name(namespace: str, local: str) -> str:
    """An element's name in ElementTree's ``{namespace}local`` form."""
    return f"{{{namespace}}}{local}"


GETETAG = name(DAV, "getetag")
RESOURCETYPE = name(DAV, "resourcetype")
DISPLAYNAME = name(DAV, "displayname")
CURRENT_USER_PRINCIPAL = name(DAV, "current-user-principal")
CURRENT_USER_PRIVILEGE_SET = name(DAV, "current-user-privilege-set")
SYNC_TOKEN = name(DAV, "sync-token")
CALENDAR_HOME_SET = name(CALDAV, "calendar-home-set")
SUPPORTED_COMPONENTS = name(CALDAV, "supported-calendar-component-set")
CALENDAR_DATA = name(CALDAV, "calendar-data")
GETCTAG = name(CALSERVER, "getctag")

_XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>'
_PREFIXES = {DAV: "d", CALDAV: "c", CALSERVER: "cs"}
_NAMESPACES = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" ' \
    'xmlns:cs="http://calendarserver.org/ns/"'  # fmt: skip


def _tag(clark: str) -> str:
    namespace, local = clark[1:].split("}", 1)
    return f"<{_PREFIXES[namespace]}:{local}/>"


def propfind_body(*props: str) -> bytes:
    """``PROPFIND`` asking for ``props`` (ElementTree names)."""
    asked = "".join(_tag(p) for p in props)
    return f"{_XML_HEAD}<d:propfind {_NAMESPACES}><d:prop>{asked}</d:prop></d:propfind>".encode()


def sync_collection_body(token: str | None) -> bytes:
    """RFC 6578 ``sync-collection`` for members' etags; no token = the initial sync."""
    token_xml = f"<d:sync-token>{_escape(token)}</d:sync-token>" if token else "<d:sync-token/>"
    return (
        f"{_XML_HEAD}<d:sync-collection {_NAMESPACES}>{token_xml}"
        "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
    ).encode()


def multiget_body(hrefs: list[str]) -> bytes:
    """RFC 4791 ``calendar-multiget`` for the etag and data of each href."""
    wanted = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs)
    return (
        f"{_XML_HEAD}<c:calendar-multiget {_NAMESPACES}><d:prop><d:getetag/>"
        f"<c:calendar-data/></d:prop>{wanted}</c:calendar-multiget>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class DavResponse:
    """One ``<d:response>``: its href, its own status (set for removed members in a sync
    report) and the properties the server found (those answered 200)."""

    href: str
    status: int | None
    props: dict[str, Element] = field(default_factory=dict)

    def text(self, prop: str) -> str | None:
        """A found property's text, stripped; None when absent or empty."""
        element = self.props.get(prop)
        if element is None or element.text is None:
            return None
        return element.text.strip() or None

    def href_in(self, prop: str) -> str | None:
        """The ``<d:href>`` inside a found property (current-user-principal, home set)."""
        element = self.props.get(prop)
        found = None if element is None else element.find(name(DAV, "href"))
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def has(self, prop: str) -> bool:
        return prop in self.props


@dataclass(frozen=True)
class Multistatus:
    responses: list[DavResponse]
    sync_token: str | None
    """The top-level ``<d:sync-token>`` of a sync-collection answer."""


class NotMultistatus(ValueError):
    """The body is not a WebDAV multistatus document."""


_STATUS = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})")


def parse_status(line: str | None) -> int | None:
    """``HTTP/1.1 404 Not Found`` → 404."""
    match = _STATUS.match((line or "").strip())
    return int(match.group(1)) if match else None


def parse_multistatus(content: bytes) -> Multistatus:
    """The responses of a ``207`` body; only properties answered 200 are kept."""
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException) as exc:
        raise NotMultistatus(f"not XML we accept: {exc}") from exc
    if root.tag != name(DAV, "multistatus"):
        raise NotMultistatus(f"expected DAV:multistatus, got {root.tag}")
    responses = []
    for response in root.findall(name(DAV, "response")):
        href = (response.findtext(name(DAV, "href")) or "").strip()
        props: dict[str, Element] = {}
        for propstat in response.findall(name(DAV, "propstat")):
            if parse_status(propstat.findtext(name(DAV, "status"))) != 200:
                continue
            prop = propstat.find(name(DAV, "prop"))
            for element in [] if prop is None else list(prop):
                props[element.tag] = element
        status = parse_status(response.findtext(name(DAV, "status")))
        responses.append(DavResponse(href=href, status=status, props=props))
    token = root.findtext(SYNC_TOKEN)
    return Multistatus(responses, token.strip() if token else None)


def error_conditions(content: bytes) -> list[str]:
    """The local names of the preconditions in a ``<d:error>`` body (may be empty)."""
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException):
        return []
    if root.tag != name(DAV, "error"):
        return []
    return [child.tag.rsplit("}", 1)[-1] for child in root]
