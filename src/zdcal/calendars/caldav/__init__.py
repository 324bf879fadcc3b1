"""CalDAV as a calendar backend: iCalendar objects (:mod:`.ical`) and a small async
client (:mod:`.client`). Not yet wired behind :mod:`zdcal.calendars.base`."""
