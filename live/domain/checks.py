"""What is valid for whom and when: each attendee and host action checked and cleaned."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from live.domain.model import (
    ACTION_PHASES,
    ANSWERS,
    CONTACT_CHANNELS,
    MAX_ADDITION,
    MAX_CAPACITY,
    MAX_COUNT,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    MAX_PLACE,
    MAX_TABLES,
    MAX_THEMES,
    MAX_TITLE,
    NOTE_FIELDS,
    PACES,
    ROLES,
    Meeting,
    Refused,
)
from live.domain.terugkom import (
    EVENING_ONLY,
    FOLLOW_UP,
    FOLLOW_UP_ACTION_PHASES,
    check_follow_up_addition,
    phases_of,
)
from live.domain.text import clean_text, is_blank


def action_phases(meeting: Meeting, action: str) -> tuple:
    """The phases that accept ``action`` in this meeting (its kind has its own); empty: any
    phase (a host action without a phase rule)."""
    if meeting.kind == FOLLOW_UP:
        if action in EVENING_ONLY:
            return ("-",)  # no phase of a terugkombijeenkomst takes it
        return FOLLOW_UP_ACTION_PHASES.get(action, ())
    return ACTION_PHASES.get(action, ())


def require_phase(meeting: Meeting, action: str) -> None:
    """Refuse an attendee action outside the phases that accept it."""
    if meeting.phase not in action_phases(meeting, action):
        raise Refused("wrong_phase")


def check_vote(meeting: Meeting, payload: dict) -> dict:
    """A recognition answer for one theme, or for the analysis as a whole (theme 0)."""
    theme = meeting.theme(payload.get("theme"), whole=True)
    answer = payload.get("answer")
    if answer not in ANSWERS:
        raise Refused("bad_answer")
    require_phase(meeting, "vote")
    return {"theme": theme.id, "answer": answer}


def check_addition(meeting: Meeting, payload: dict) -> dict:
    """Free text an attendee adds to a theme, or to the whole (theme 0); it waits for moderation.
    In a terugkombijeenkomst: a top or a question to a group (``check_follow_up_addition``)."""
    if meeting.kind == FOLLOW_UP:
        fields = check_follow_up_addition(meeting, payload)
        require_phase(meeting, "addition")
        return fields
    theme = meeting.theme(payload.get("theme"), whole=True)
    text = clean_text(payload.get("text"), MAX_ADDITION, multiline=True)
    require_phase(meeting, "addition")
    return {"theme": theme.id, "text": text}


def check_choice(meeting: Meeting, payload: dict) -> dict:
    """The one theme a participant will work on after the break (its capacity is checked by
    the store, inside the write, so two phones never both take the last seat)."""
    theme = meeting.theme(payload.get("theme"))
    require_phase(meeting, "choose")
    if meeting.choices_locked:
        raise Refused("choices_locked")
    return {"theme": theme.id}


def check_note(meeting: Meeting, payload: dict) -> dict:
    """A short note on a subgroup's card, for any theme (people move between tables)."""
    theme = meeting.theme(payload.get("theme"))
    field_name = payload.get("field")
    if field_name not in NOTE_FIELDS:
        raise Refused("bad_field")
    text = clean_text(payload.get("text"), MAX_NOTE, multiline=True)
    require_phase(meeting, "note")
    return {"theme": theme.id, "field": field_name, "text": text}


def _note_id(raw) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**63:
        raise Refused("unknown_note")
    return raw


def check_edit_note(meeting: Meeting, payload: dict) -> dict:
    """A new text for one's own note (the host may edit any)."""
    note = _note_id(payload.get("note"))
    text = clean_text(payload.get("text"), MAX_NOTE, multiline=True)
    require_phase(meeting, "edit_note")
    return {"note": note, "text": text}


def check_remove_note(meeting: Meeting, payload: dict) -> dict:
    """Take one's own note off the card (the host may remove any)."""
    note = _note_id(payload.get("note"))
    require_phase(meeting, "remove_note")
    return {"note": note}


def check_withdraw(meeting: Meeting, payload: dict) -> dict:
    """Take back the pledge for one theme; its name and contact details are erased."""
    theme = payload.get("theme")
    if isinstance(theme, bool) or not isinstance(theme, int) or not 0 <= theme < 2**63:
        raise Refused("unknown_theme")
    require_phase(meeting, "withdraw")
    return {"theme": theme}


def clean_email(raw) -> str:
    """A syntactically valid email address (no network at the venue), or ``bad_email``."""
    if not isinstance(raw, str) or len(raw) > 254:
        raise Refused("bad_email")
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Refused("bad_email") from None


def clean_phone(raw) -> str:
    """A phone number in E.164 form (Dutch numbers may be typed without +31), or ``bad_phone``."""
    if not isinstance(raw, str) or len(raw) > 32:
        raise Refused("bad_phone")
    try:
        number = phonenumbers.parse(raw, "NL")
    except phonenumbers.NumberParseException:
        raise Refused("bad_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Refused("bad_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_pledge(meeting: Meeting, payload: dict) -> dict:
    """ "Wilt u meehelpen?": role, name, one contact channel and explicit consent."""
    fields = pledge_fields(meeting, payload)
    require_phase(meeting, "pledge")
    return fields


def optional(payload: dict, key: str, default):
    """An optional field: left out and ``null`` both mean its default (JSON clients send either)."""
    value = payload.get(key)
    return default if value is None else value


def pledge_fields(meeting: Meeting, payload: dict) -> dict:
    """The fields of a pledge, checked as ``check_pledge`` does but in any phase (paper forms)."""
    theme = meeting.theme(payload.get("theme"))
    role = payload.get("role")
    if role not in ROLES:
        raise Refused("bad_role")
    name = payload.get("name")
    # A name of only spaces or invisible characters is no name: the same answer as an empty one.
    if name is None or (isinstance(name, str) and is_blank(name)):
        raise Refused("name_required")
    name = clean_text(name, MAX_NAME)
    email_raw, phone_raw = payload.get("email"), payload.get("phone")
    email = clean_email(email_raw) if email_raw not in (None, "") else ""
    phone = clean_phone(phone_raw) if phone_raw not in (None, "") else ""
    if not email and not phone:
        raise Refused("contact_required")
    if payload.get("consent") is not True:
        raise Refused("consent_required")
    # Sharing name and contact with the other members of the working group is a separate choice.
    share = optional(payload, "share", False)
    if not isinstance(share, bool):
        raise Refused("bad_payload")
    contact_by = payload.get("contact_by")
    if contact_by in (None, ""):
        contact_by = "email" if email else "phone"
    elif contact_by not in CONTACT_CHANNELS or not (email if contact_by == "email" else phone):
        raise Refused("bad_contact_by")
    return {
        "theme": theme.id,
        "role": role,
        "name": name,
        "email": email,
        "phone": phone,
        "contact_by": contact_by,
        "share": share,
    }


def check_phase(payload: dict, kind: str = "avond") -> str:
    """A phase the host may switch to (any phase of its kind of meeting, forward or back)."""
    phase = payload.get("phase")
    if phase not in phases_of(kind):
        raise Refused("bad_phase")
    return phase


def check_endorse(meeting: Meeting, payload: dict) -> dict:
    """ "Dat herken ik ook" on a shown addition (``on``), or taken back; the store checks that
    the beamer shows it (``not_shown``) and counts a merged one for its group's root."""
    addition = _addition_id(payload.get("addition"))
    on = payload.get("on")
    if not isinstance(on, bool):
        raise Refused("bad_payload")
    require_phase(meeting, "endorse")
    return {"addition": addition, "on": on}


def check_addition_hands(meeting: Meeting, payload: dict) -> dict:
    """Raised hands for one shown addition, typed by the host; a new count replaces the last."""
    addition = _addition_id(payload.get("addition"))
    count = payload.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise Refused("bad_count")
    return {"addition": addition, "count": count}


def check_moderation(payload: dict) -> dict:
    """The host shows or hides one addition on the projector."""
    addition = payload.get("addition")
    show = payload.get("show")
    # Beyond SQLite's 64-bit integers the whole write batch would fail, for everyone in it.
    if isinstance(addition, bool) or not isinstance(addition, int) or not 1 <= addition < 2**63:
        raise Refused("unknown_addition")
    if not isinstance(show, bool):
        raise Refused("bad_payload")
    return {"addition": addition, "show": show}


# -- the host shapes the evening -------------------------------------------------------------


def _theme_text(payload: dict, required: bool) -> dict:
    """Title and description of a new or edited theme, with the limits of meeting creation."""
    fields = {}
    if required or payload.get("title") is not None:
        fields["title"] = clean_text(payload.get("title"), MAX_TITLE)
    if "description" in payload:
        fields["description"] = clean_text(payload.get("description"), MAX_DESCRIPTION, required=False)
    return fields


def _addition_id(raw) -> int:
    # Beyond SQLite's 64-bit integers the whole write batch would fail, for everyone in it.
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**63:
        raise Refused("unknown_addition")
    return raw


def check_add_theme(meeting: Meeting, payload: dict) -> dict:
    """A new theme during the evening; with ``addition``, that addition becomes the theme."""
    if len(meeting.themes) >= MAX_THEMES:
        raise Refused("too_many_themes")
    fields = _theme_text(payload, required=True)
    fields.setdefault("description", "")
    addition = payload.get("addition")
    fields["addition"] = None if addition is None else _addition_id(addition)
    return fields


def check_edit_theme(meeting: Meeting, payload: dict) -> dict:
    """A new title and/or description for one theme."""
    theme = meeting.theme(payload.get("theme"))
    fields = {**_theme_text(payload, required=False), **check_tables(meeting, payload)}
    if not fields:
        raise Refused("bad_payload")
    return {"theme": theme.id, **fields}


def check_remove_theme(meeting: Meeting, payload: dict) -> dict:
    """Take a theme off every screen; one that has answers needs ``confirm: true``."""
    theme = meeting.theme(payload.get("theme"))
    confirm = optional(payload, "confirm", False)
    if not isinstance(confirm, bool):
        raise Refused("bad_payload")
    if len(meeting.themes) == 1:
        raise Refused("last_theme")
    return {"theme": theme.id, "confirm": confirm}


def check_order(meeting: Meeting, payload: dict) -> dict:
    """A new order of the themes: every current theme id exactly once."""
    order = payload.get("order")
    if not isinstance(order, list) or len(order) > MAX_THEMES:
        raise Refused("bad_order")
    ids = [t.id for t in meeting.themes]
    if any(isinstance(i, bool) or not isinstance(i, int) for i in order) or sorted(order) != sorted(ids):
        raise Refused("bad_order")
    return {"order": order}


def check_pace(meeting: Meeting, payload: dict) -> dict:
    """What the beamer shows, in any phase: every theme with its pages turning (``all``), one
    theme (or the whole, 0) at a time (``one``), or every theme held on the screen that shows
    ``theme`` (``hold``). On phones, ``one`` also asks one recognition question at a time."""
    mode = payload.get("pace")
    if mode not in PACES:
        raise Refused("bad_pace")
    if mode == "all":
        return {"pace": "all", "theme": None}
    return {"pace": mode, "theme": meeting.theme(payload.get("theme"), whole=True).id}


def check_tables(meeting: Meeting, payload: dict) -> dict:
    """Where a theme's subgroup sits (``table``: one place, or a list for several tables) and
    how many fit (``capacity``: a whole number, or null for no limit). Part of ``edit_theme``."""
    fields = {}
    if "table" in payload:
        raw = payload["table"]
        places = [raw] if isinstance(raw, str) or raw is None else raw
        if not isinstance(places, list) or len(places) > MAX_TABLES:
            raise Refused("bad_table")
        cleaned = [clean_text(p, MAX_PLACE, required=False) for p in places if p is not None]
        fields["tables"] = tuple(p for p in cleaned if p)
    if "capacity" in payload:
        capacity = payload["capacity"]
        if capacity is not None and (
            isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY
        ):
            raise Refused("bad_capacity")
        fields["capacity"] = capacity
    return fields


def check_lock_choices(meeting: Meeting, payload: dict) -> dict:
    """Close or reopen the topic choice."""
    locked = payload.get("locked")
    if not isinstance(locked, bool):
        raise Refused("bad_payload")
    return {"locked": locked}


def check_merge_themes(meeting: Meeting, payload: dict) -> dict:
    """Put a theme that drew few people together with another: its choosers move along."""
    theme = meeting.theme(payload.get("theme"))
    into = meeting.theme(payload.get("into"))
    if theme.id == into.id:
        raise Refused("bad_merge")
    return {"theme": theme.id, "into": into.id}


def check_merge_addition(meeting: Meeting, payload: dict) -> dict:
    """Put an addition together with another that says the same: it joins that one's group."""
    addition = _addition_id(payload.get("addition"))
    into = _addition_id(payload.get("into"))
    if addition == into:
        raise Refused("bad_merge")
    return {"addition": addition, "into": into}


def check_results(meeting: Meeting, payload: dict) -> dict:
    """Hide or reveal the results on the beamer: of every theme, or of one."""
    hidden = payload.get("hidden")
    if not isinstance(hidden, bool):
        raise Refused("bad_payload")
    theme = payload.get("theme")
    return {"hidden": hidden, "theme": None if theme is None else meeting.theme(theme, whole=True).id}


def check_manual_count(meeting: Meeting, payload: dict) -> dict:
    """Raised hands for one theme and answer; a new count replaces the last one."""
    theme = meeting.theme(payload.get("theme"), whole=True)
    answer = payload.get("answer")
    if answer not in ANSWERS:
        raise Refused("bad_answer")
    count = payload.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise Refused("bad_count")
    return {"theme": theme.id, "answer": answer, "count": count}
