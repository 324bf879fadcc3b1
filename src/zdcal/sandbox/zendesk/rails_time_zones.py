"""Zendesk's ``time_zone`` user field holds a Rails (ActiveSupport) zone name; this maps the
IANA ids a scenario uses to those names."""

from __future__ import annotations

from typing import Final

# The Rails name for common IANA zones (ActiveSupport::TimeZone::MAPPING, inverted; where
# several Rails names share one IANA zone, the one Zendesk shows first is kept).
RAILS_NAME_BY_IANA: Final = {
    "Etc/UTC": "UTC",
    "UTC": "UTC",
    "Pacific/Honolulu": "Hawaii",
    "America/Juneau": "Alaska",
    "America/Los_Angeles": "Pacific Time (US & Canada)",
    "America/Phoenix": "Arizona",
    "America/Denver": "Mountain Time (US & Canada)",
    "America/Chicago": "Central Time (US & Canada)",
    "America/Mexico_City": "Mexico City",
    "America/New_York": "Eastern Time (US & Canada)",
    "America/Halifax": "Atlantic Time (Canada)",
    "America/St_Johns": "Newfoundland",
    "America/Sao_Paulo": "Brasilia",
    "America/Argentina/Buenos_Aires": "Buenos Aires",
    "America/Bogota": "Bogota",
    "America/Lima": "Lima",
    "America/Santiago": "Santiago",
    "Atlantic/Azores": "Azores",
    "Europe/London": "London",
    "Europe/Dublin": "Dublin",
    "Europe/Lisbon": "Lisbon",
    "Europe/Paris": "Paris",
    "Europe/Berlin": "Berlin",
    "Europe/Amsterdam": "Amsterdam",
    "Europe/Brussels": "Brussels",
    "Europe/Madrid": "Madrid",
    "Europe/Rome": "Rome",
    "Europe/Vienna": "Vienna",
    "Europe/Zurich": "Zurich",
    "Europe/Stockholm": "Stockholm",
    "Europe/Copenhagen": "Copenhagen",
    "Europe/Warsaw": "Warsaw",
    "Europe/Prague": "Prague",
    "Europe/Athens": "Athens",
    "Europe/Helsinki": "Helsinki",
    "Europe/Kiev": "Kyiv",
    "Europe/Kyiv": "Kyiv",
    "Europe/Istanbul": "Istanbul",
    "Europe/Moscow": "Moscow",
    "Africa/Cairo": "Cairo",
    "Africa/Johannesburg": "Pretoria",
    "Africa/Nairobi": "Nairobi",
    "Africa/Lagos": "West Central Africa",
    "Asia/Dubai": "Abu Dhabi",
    "Asia/Karachi": "Karachi",
    "Asia/Kolkata": "New Delhi",
    "Asia/Kathmandu": "Kathmandu",
    "Asia/Dhaka": "Dhaka",
    "Asia/Bangkok": "Bangkok",
    "Asia/Jakarta": "Jakarta",
    "Asia/Shanghai": "Beijing",
    "Asia/Hong_Kong": "Hong Kong",
    "Asia/Singapore": "Singapore",
    "Asia/Taipei": "Taipei",
    "Asia/Seoul": "Seoul",
    "Asia/Tokyo": "Tokyo",
    "Australia/Perth": "Perth",
    "Australia/Adelaide": "Adelaide",
    "Australia/Brisbane": "Brisbane",
    "Australia/Sydney": "Sydney",
    "Australia/Melbourne": "Melbourne",
    "Pacific/Auckland": "Auckland",
    "Pacific/Chatham": "Chatham Is.",
    "Pacific/Tongatapu": "Nuku'alofa",
    "Pacific/Apia": "Samoa",
    "Pacific/Pago_Pago": "American Samoa",
}


def rails_time_zone_name(iana: str) -> str:
    """The Rails name for an IANA zone; unknown zones fall back to their city part."""
    known = RAILS_NAME_BY_IANA.get(iana)
    if known:
        return known
    return iana.rsplit("/", 1)[-1].replace("_", " ")
