"""Parsing a new meeting: its themes, day and follow-up meeting."""

from __future__ import annotations

import datetime
import re

from live.domain.model import MAX_DESCRIPTION, MAX_THEMES, MAX_TITLE, Refused, Theme
from live.domain.text import clean_text, is_blank
from live.domain.wifi import parse_wifi


def parse_themes(raw) -> list[Theme]:
    """Themes from the API (strings or {title, description}) or from the form's lines."""
    if isinstance(raw, str):
        # In the form, one theme per line; a description may follow the title after a colon.
        items = []
        for line in raw.splitlines():
            title, _, description = line.partition(":")
            if not is_blank(title):
                items.append({"title": title, "description": description})
        raw = items
    if not isinstance(raw, list) or not raw:
        raise Refused("themes_required")
    if len(raw) > MAX_THEMES:
        raise Refused("too_many_themes")
    themes = []
    for position, item in enumerate(raw, start=1):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            raise Refused("bad_payload")
        title = clean_text(item.get("title"), MAX_TITLE)
        description = clean_text(item.get("description"), MAX_DESCRIPTION, required=False)
        themes.append(Theme(position, title, description))
    return themes


def parse_day(raw, *, required: bool = False) -> str:
    """An ISO date (``2026-03-12``) between 2000 and 2100, or "" when allowed; else ``bad_date``."""
    if raw in (None, "") and not required:
        return ""
    if not isinstance(raw, str) or len(raw) != 10:
        raise Refused("bad_date")
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date") from None
    if not 2000 <= day.year <= 2100:
        raise Refused("bad_date")
    return day.isoformat()


def parse_follow_up(form) -> dict | None:
    """A working group's first meeting from the host's form: ``{date, time, place}`` (time and
    place may be empty), or None when every field is empty (the meeting is cleared)."""
    raw = {k: (form.get(k) or "").strip() for k in ("date", "time", "place")}
    if not any(raw.values()):
        return None
    time_of_day = raw["time"].replace(".", ":")
    # ASCII digits only: \d would take ١٩:٣٠ or 𝟏𝟗:𝟑𝟎, which no calendar file can hold.
    if time_of_day and not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", time_of_day):
        raise Refused("bad_time")
    return {
        "date": parse_day(raw["date"], required=True),
        "time": time_of_day.zfill(5) if time_of_day else "",
        "place": clean_text(raw["place"] or None, MAX_TITLE, required=False),
    }


def parse_new_meeting(data) -> dict:
    """Validate the create-meeting input (API JSON or form fields)."""
    if not isinstance(data, dict):
        raise Refused("bad_payload")
    return {
        "title": clean_text(data.get("title"), MAX_TITLE),
        "place": clean_text(data.get("place") or None, MAX_TITLE, required=False),
        "date": clean_text(data.get("date") or None, 40, required=False),
        "themes": parse_themes(data.get("themes")),
        "wifi": parse_wifi(data.get("wifi")),
        # The day it is held, for erasure; empty: today (the store fills it in).
        "held_on": parse_day(data.get("held_on")),
    }
