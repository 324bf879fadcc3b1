"""WebDAV XML as servers spell it: any prefix, absolute or relative hrefs, 404 propstats."""

from __future__ import annotations

import pytest

from zdcal.calendars.caldav import multistatus as dav
from zdcal.calendars.caldav.client import (
    CollectionState,
    RemoteCalendar,
    SyncMethod,
    _accepts_events,
    _writable,
)

# Shaped like Radicale 3.9's answer (default namespace, "C:" for CalDAV).
RADICALE = b"""<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response>
<href>/alice/tasks/</href><propstat><prop><current-user-privilege-set>
<privilege><read /></privilege><privilege><write-content /></privilege>
<privilege><write /></privilege></current-user-privilege-set>
<C:supported-calendar-component-set><C:comp name="VEVENT" /></C:supported-calendar-component-set>
<displayname>Tasks</displayname></prop><status>HTTP/1.1 200 OK</status></propstat>
<propstat><prop><getctag xmlns="http://calendarserver.org/ns/" /></prop>
<status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>"""

# Shaped like Xandikos 0.4.10's (generated prefixes, absolute hrefs, status first).
XANDIKOS_SYNC = b"""<ns0:multistatus xmlns:ns0="DAV:"><ns0:response>
<ns0:href>https://127.0.0.1:8443/user/calendars/calendar/a.ics</ns0:href>
<ns0:propstat><ns0:status>HTTP/1.1 200 OK</ns0:status><ns0:prop>
<ns0:getetag>"e1"</ns0:getetag></ns0:prop></ns0:propstat></ns0:response>
<ns0:response><ns0:href>/user/calendars/calendar/b.ics</ns0:href>
<ns0:status>HTTP/1.1 404 Not Found</ns0:status></ns0:response>
<ns0:sync-token>abc123</ns0:sync-token></ns0:multistatus>"""


def test_properties_are_read_by_namespace_and_missing_ones_left_out() -> None:
    [response] = dav.parse_multistatus(RADICALE).responses
    assert response.href == "/alice/tasks/"
    assert response.status is None
    assert response.text(dav.DISPLAYNAME) == "Tasks"
    assert not response.has(dav.GETCTAG)  # answered 404: not found, so absent
    assert response.text(dav.GETCTAG) is None
    assert _writable(response)
    assert _accepts_events(response)


def test_sync_answers_give_changed_and_removed_members_and_the_token() -> None:
    answer = dav.parse_multistatus(XANDIKOS_SYNC)
    assert answer.sync_token == "abc123"
    changed, removed = answer.responses
    assert changed.text(dav.GETETAG) == '"e1"'
    assert changed.status is None
    assert removed.status == 404
    assert removed.props == {}


def privileges(*names: str) -> dav.DavResponse:
    granted = "".join(f"<d:privilege><d:{n}/></d:privilege>" for n in names)
    body = (
        '<d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/</d:href><d:propstat><d:prop>'
        f"<d:current-user-privilege-set>{granted}</d:current-user-privilege-set>"
        "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        "</d:multistatus>"
    )
    [response] = dav.parse_multistatus(body.encode()).responses
    return response


@pytest.mark.parametrize(
    ("granted", "writable"),
    [
        (("all",), True),
        (("read", "write"), True),
        (("read", "bind", "write-content"), True),
        (("read", "write-content"), True),  # see assumptions.WRITE_PRIVILEGES
        (("read",), False),
        (("read", "write-properties"), False),
        ((), False),
    ],
)
def test_writability_follows_the_granted_privileges(
    granted: tuple[str, ...], writable: bool
) -> None:
    assert _writable(privileges(*granted)) is writable


def test_no_component_set_means_any_component() -> None:
    assert _accepts_events(privileges("all"))


@pytest.mark.parametrize(
    "body", [b"<html><body>Hello</body></html>", b"not xml at all", b"<d:error xmlns:d='DAV:'/>"]
)
def test_other_documents_are_not_multistatus(body: bytes) -> None:
    with pytest.raises(dav.NotMultistatus):
        dav.parse_multistatus(body)


def test_error_bodies_name_their_preconditions() -> None:
    body = b'<d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>'
    assert dav.error_conditions(body) == ["valid-sync-token"]
    assert dav.error_conditions(b"Forbidden") == []


def test_entities_are_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><d:multistatus xmlns:d="DAV:">&a;</d:multistatus>'
    with pytest.raises(dav.NotMultistatus, match=r"(?i)entit"):
        dav.parse_multistatus(bomb)
    assert dav.error_conditions(bomb) == []


def test_request_bodies_escape_tokens_and_hrefs() -> None:
    assert b"<d:sync-token>a&amp;b&lt;</d:sync-token>" in dav.sync_collection_body("a&b<")
    assert b"<d:sync-token/>" in dav.sync_collection_body(None)
    assert b"<d:href>/c/x&amp;y.ics</d:href>" in dav.multiget_body(["/c/x&y.ics"])


def test_calendars_without_a_sync_token_are_polled_by_ctag() -> None:
    calendar = RemoteCalendar("https://h/c/", "c", True, True, ctag="1", sync_token=None)
    assert CollectionState.first_for(calendar) == CollectionState(SyncMethod.CTAG)
