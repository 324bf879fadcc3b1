"""The shape checker itself: it must refuse what Graph's resource pages do not allow, or the
other tests' "every answer has the documented shape" would prove nothing."""

from __future__ import annotations

from graph_shapes import body_problems, object_problems

CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users('u')/calendars/$entity"
CALENDAR = {
    "id": "AAMkAG=", "name": "Calendar", "color": "auto", "hexColor": "",
    "isDefaultCalendar": True, "changeKey": "k", "canShare": True, "canViewPrivateItems": True,
    "canEdit": True, "allowedOnlineMeetingProviders": ["teamsForBusiness"],
    "defaultOnlineMeetingProvider": "teamsForBusiness", "isTallyingResponses": True,
    "isRemovable": False, "owner": {"name": "A", "address": "a@example.test"},
}


def test_a_documented_calendar_passes() -> None:
    assert body_problems({"@odata.context": CONTEXT, **CALENDAR}) == []


def test_unknown_missing_and_mistyped_properties_fail() -> None:
    assert object_problems({**CALENDAR, "primary": True}, "calendar") == [
        "calendar.primary: not a property of calendar"]
    missing = dict(CALENDAR)
    del missing["canEdit"]
    assert object_problems(missing, "calendar") == ["calendar.canEdit: missing"]
    assert object_problems({**CALENDAR, "canEdit": "yes"}, "calendar") == [
        "calendar.canEdit: expected bool, got 'yes'"]


def test_bad_times_enums_errors_and_removed_entries_fail() -> None:
    shown = {"dateTime": "2030-05-01T09:00:00Z", "timeZone": "UTC"}
    assert object_problems(shown, "dateTimeTimeZone") != []
    assert body_problems({"error": {"code": "x", "message": "y"}}) == [
        "error.innerError lacks date/request-id"]
    delta = {"@odata.context": "x/$metadata#Collection(event)",
             "value": [{"id": "1", "@removed": {"reason": "changed"}}]}
    assert len(body_problems(delta)) == 1
    assert body_problems({"value": []}) == ["no known @odata.context: ''"]
