"""The ``.ics`` file (RFC 5545, made with ``icalendar``) of a working group's first meeting."""

from __future__ import annotations

import datetime
import hashlib
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

DURATION = datetime.timedelta(hours=2)  # a first meeting: two hours unless people agree otherwise
# The method is Dutch and so are its villages: "19.30 uur" is Dutch time, winter or summer, also in
# a calendar set to another zone (someone on holiday, a laptop left on UTC).
ZONE = ZoneInfo("Europe/Amsterdam")


def follow_up_ics(meeting: dict, theme: dict, follow_up: dict, host: str) -> bytes:
    """One event: the working group's first meeting, at the day, time and place the host set."""
    day = datetime.date.fromisoformat(follow_up["date"])
    cal = Calendar()
    cal.add("prodid", "-//Burgerkracht Live//werkgroep//NL")
    cal.add("version", "2.0")
    event = Event()
    # The same meeting and theme give the same UID, so a calendar updates rather than doubles.
    digest = hashlib.sha256(f"{meeting['code']}/{theme['id']}".encode()).hexdigest()[:24]
    event.add("uid", f"{digest}@{host}")
    event.add("dtstamp", datetime.datetime.now(datetime.UTC))
    event.add("summary", f"Werkgroep {theme['title']}: eerste afspraak")
    if follow_up.get("time"):
        start = datetime.datetime.combine(day, datetime.time.fromisoformat(follow_up["time"]), ZONE)
        event.add("dtstart", start)
        event.add("dtend", start + DURATION)
    else:
        event.add("dtstart", day)
    if follow_up.get("place"):
        event.add("location", follow_up["place"])
    event.add("description", f"Na de bijeenkomst {meeting['title']}.")
    cal.add_component(event)
    # The zone's rules travel in the file (VTIMEZONE), for the years around the meeting only.
    cal.add_missing_timezones(
        first_date=day.replace(month=1, day=1), last_date=datetime.date(day.year + 2, 1, 1)
    )
    return cal.to_ical()
