"""Paper forms and helper forms: one person's whole evening checked field by field."""

from __future__ import annotations

from live.domain.checks import _addition_id, optional, pledge_fields
from live.domain.model import ANSWERS, FORM_ORIGINS, MAX_ADDITION, MAX_ENDORSE, MAX_THEMES, Meeting, Refused
from live.domain.text import clean_text


class FieldRefused(Refused):
    """A refused form, with where the problem is (``votes.3``, ``pledges.0.email``), so the
    helper screen can put the message at that field."""

    def __init__(self, slug: str, where: str):
        super().__init__(slug)
        self.field = where


def _at(where: str, check, *args, **kwargs):
    """Run one existing check; a refusal is given the field it is about."""
    try:
        return check(*args, **kwargs)
    except FieldRefused:
        raise
    except Refused as refused:
        raise FieldRefused(refused.slug, where) from None


def _form_theme(meeting: Meeting, raw, whole: bool) -> int:
    """A theme id from a form: an integer, or its decimal string (a JSON object key)."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        raw = int(raw)
    return meeting.theme(raw, whole=whole).id


def check_form(meeting: Meeting, payload: dict) -> dict:
    """One whole paper form (or one person on a helper's device) as a new participant: votes,
    additions, a choice and pledges, each checked by the rules a phone meets, in any phase (a
    form filled in before the break is typed in later). Raises ``FieldRefused``."""
    origin = payload.get("origin")
    if origin not in FORM_ORIGINS:
        raise FieldRefused("bad_origin", "origin")
    votes_raw = optional(payload, "votes", {})
    if not isinstance(votes_raw, dict) or len(votes_raw) > MAX_THEMES + 1:
        raise FieldRefused("bad_payload", "votes")
    votes = {}
    for key, answer in votes_raw.items():
        theme = _at(f"votes.{key}", _form_theme, meeting, key, True)
        if answer not in ANSWERS:
            raise FieldRefused("bad_answer", f"votes.{key}")
        votes[theme] = answer
    additions_raw = optional(payload, "additions", [])
    if not isinstance(additions_raw, list) or len(additions_raw) > MAX_THEMES + 1:
        raise FieldRefused("bad_payload", "additions")
    additions = []
    for n, item in enumerate(additions_raw):
        if not isinstance(item, dict):
            raise FieldRefused("bad_payload", f"additions.{n}")
        theme = _at(f"additions.{n}.theme", _form_theme, meeting, item.get("theme"), True)
        text = _at(f"additions.{n}.text", clean_text, item.get("text"), MAX_ADDITION, multiline=True)
        additions.append({"theme": theme, "text": text})
    choice = payload.get("choice")
    if choice is not None:
        choice = _at("choice", _form_theme, meeting, choice, False)
    pledges_raw = optional(payload, "pledges", [])
    if not isinstance(pledges_raw, list) or len(pledges_raw) > MAX_THEMES:
        raise FieldRefused("bad_payload", "pledges")
    pledges = []
    for n, item in enumerate(pledges_raw):
        if not isinstance(item, dict):
            raise FieldRefused("bad_payload", f"pledges.{n}")
        pledge = _at(f"pledges.{n}", _pledge_at, meeting, item, n)
        if any(p["theme"] == pledge["theme"] for p in pledges):
            raise FieldRefused("duplicate_pledge", f"pledges.{n}.theme")
        pledges.append(pledge)
    endorse_raw = optional(payload, "endorse", [])
    if not isinstance(endorse_raw, list) or len(endorse_raw) > MAX_ENDORSE:
        raise FieldRefused("bad_payload", "endorse")
    endorse = sorted({_at(f"endorse.{n}", _addition_id, raw) for n, raw in enumerate(endorse_raw)})
    if not (votes or additions or choice is not None or pledges or endorse):
        # A blank form is not a person taking part: most likely Enter was pressed too soon.
        raise FieldRefused("form_empty", "form")
    return {
        "origin": origin, "votes": votes, "additions": additions, "choice": choice, "pledges": pledges,
        "endorse": endorse,
    }  # fmt: skip


# The pledge field each pledge refusal is about, so the helper screen can mark that box.
_PLEDGE_FIELDS = {
    "unknown_theme": "theme",
    "bad_role": "role",
    "name_required": "name",
    "text_empty": "name",
    "text_too_long": "name",
    "contact_required": "contact",
    "bad_email": "email",
    "bad_phone": "phone",
    "consent_required": "consent",
    "bad_contact_by": "contact_by",
}


def _pledge_at(meeting: Meeting, item: dict, n: int) -> dict:
    try:
        return pledge_fields(meeting, item)
    except Refused as refused:
        where = _PLEDGE_FIELDS.get(refused.slug)
        raise FieldRefused(refused.slug, f"pledges.{n}" + (f".{where}" if where else "")) from None
