"""The hall's Wi-Fi on the beamer: checking it and writing the QR code's text."""

from __future__ import annotations

import re

from live.domain.checks import optional
from live.domain.model import MAX_WIFI_NAME, MAX_WIFI_PASSWORD, Meeting, Refused
from live.domain.text import clean_text


def parse_wifi(raw) -> dict:
    """The hall's Wi-Fi, ``{"name", "password"}`` (both "" for none). An empty name clears it;
    the password may be empty (an open network). Refusals: ``bad_payload``, ``wifi_name_too_long``,
    ``wifi_password_too_long``."""
    if raw is None:
        return {"name": "", "password": ""}
    if not isinstance(raw, dict):
        raise Refused("bad_payload")
    name, password = optional(raw, "name", ""), optional(raw, "password", "")
    if not isinstance(name, str) or not isinstance(password, str):
        raise Refused("bad_payload")
    try:
        name = clean_text(name, MAX_WIFI_NAME, required=False)
    except Refused as refused:
        raise Refused("wifi_name_too_long" if refused.slug == "text_too_long" else refused.slug) from None
    if not name:
        return {"name": "", "password": ""}
    try:
        password = clean_text(password, MAX_WIFI_PASSWORD, required=False)
    except Refused as refused:
        raise Refused("wifi_password_too_long" if refused.slug == "text_too_long" else refused.slug) from None
    return {"name": name, "password": password}


def check_wifi(meeting: Meeting, payload: dict) -> dict:
    """``set_wifi {id, name, password}``: the hall's Wi-Fi as ``parse_wifi`` takes it."""
    return parse_wifi({"name": payload.get("name"), "password": payload.get("password")})


def check_welcome(meeting: Meeting, payload: dict) -> dict:
    """``show_welcome {id, show}``: the welcome back on the beamer (true) or the board again."""
    show = payload.get("show")
    if not isinstance(show, bool):
        raise Refused("bad_payload")
    return {"show": show}


def wifi_qr_text(name: str, password: str) -> str:
    """The text of a Wi-Fi QR code (the ``WIFI:`` format phones read): ``\\ ; , : "`` escaped."""

    def esc(text: str) -> str:
        return re.sub(r'([\\;,:"])', r"\\\1", text)

    if not password:
        return f"WIFI:T:nopass;S:{esc(name)};;"
    return f"WIFI:T:WPA;S:{esc(name)};P:{esc(password)};;"
