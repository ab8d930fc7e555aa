"""The ``.ics`` file (RFC 5545, made with ``icalendar``) of a working group's first meeting."""

from __future__ import annotations

import datetime
import hashlib

from icalendar import Calendar, Event

DURATION = datetime.timedelta(hours=2)  # a first meeting: two hours unless people agree otherwise


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
        # Floating local time: the people meet at 19:30 where they are, whatever the server's zone.
        start = datetime.datetime.combine(day, datetime.time.fromisoformat(follow_up["time"]))
        event.add("dtstart", start)
        event.add("dtend", start + DURATION)
    else:
        event.add("dtstart", day)
    if follow_up.get("place"):
        event.add("location", follow_up["place"])
    event.add("description", f"Na de bijeenkomst {meeting['title']}.")
    cal.add_component(event)
    return cal.to_ical()
