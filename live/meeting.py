"""The meeting domain: phases, the rules for every attendee and host action, and what each role sees.

Pure Python on purpose: no Flask, Socket.IO, SQLite or Redis import, so the rules can be tested
without a server and reused by every store. Validation returns cleaned values or raises
``Refused(slug)``; the Dutch sentence for a slug lives in ``live/texts.py``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")
ANSWERS = ("yes", "partly", "no")
ROLES = ("lead", "member", "occasional")

# Which phases accept which attendee action. Recognition answers may still come in during the
# break (people finish on their phone with a coffee); a choice may change while pledging.
ACTION_PHASES = {
    "vote": ("recognition", "break"),
    "addition": ("recognition", "break"),
    "choose": ("topics", "pledges"),
    "pledge": ("pledges", "results"),
    "withdraw": ("pledges", "results"),
    # The subgroup card is written at the tables, after the topic is chosen, until people go home.
    "note": ("topics", "pledges", "results"),
    "edit_note": ("topics", "pledges", "results"),
    "remove_note": ("topics", "pledges", "results"),
    # "Dat herken ik ook" on a shown addition: while additions are asked for.
    "endorse": ("recognition", "break"),
}

# Code alphabet without look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 5

MAX_TITLE = 120
MAX_DESCRIPTION = 400
MAX_THEMES = 40
MAX_ADDITION = 500
MAX_NAME = 80
MAX_NOTE = 280
MAX_PLACE = 80
MAX_TABLES = 10
MAX_CAPACITY = 10_000
# The hall's Wi-Fi: an SSID is at most 32 bytes, a WPA passphrase at most 63 characters.
MAX_WIFI_NAME = 32
MAX_WIFI_PASSWORD = 63
# The subgroup card: "Hoe kunnen we dit realiseren?", "Wat is er nodig?", "Wie neemt het
# voortouw?", "Wat is de eerste stap, en wanneer?".
NOTE_FIELDS = ("how", "needs", "lead", "first_step")
CONTACT_CHANNELS = ("email", "phone")
MAX_MESSAGE_ID = 64
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class Refused(Exception):
    """An action refused with a stable English slug (``wrong_phase``, ``not_host``, ...)."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


PACES = ("all", "one")
MAX_COUNT = 100_000
# Theme id 0 is the analysis as a whole ("Herkent u zich in het geheel?"): it takes recognition
# answers, hand counts and additions, but is never chosen or pledged for.
WHOLE = 0


@dataclass(frozen=True)
class Theme:
    """One outcome of the analysis, shown on every screen."""

    id: int
    title: str
    description: str = ""
    # The addition this theme was made from, if the host promoted one.
    from_addition: int | None = None
    # Where its subgroup sits after the break (one or more tables), and how many fit (None: no limit).
    tables: tuple = ()
    capacity: int | None = None

    def to_dict(self) -> dict:
        """The public form used in the protocol."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "from_addition": self.from_addition,
            "tables": list(self.tables),
            "capacity": self.capacity,
        }


@dataclass
class Meeting:
    """A meeting as the store returns it; key hashes never leave the server."""

    code: str
    title: str
    place: str
    date: str
    phase: str
    version: int
    themes: list[Theme] = field(default_factory=list)
    host_key_hash: str = ""
    projector_key_hash: str = ""
    # Empty for meetings made before helper screens existed: only the host key opens theirs.
    helper_key_hash: str = ""
    created_at: float = 0.0
    # Recognition one theme at a time ("one", with current_theme) or all at once ("all").
    pace: str = "all"
    current_theme: int | None = None
    # Results (the yes/partly/no split) kept off the beamer: for every theme (the host reveals
    # them with one press), or for these theme ids.
    results_hidden: bool = False
    hidden_themes: frozenset = frozenset()
    # The host closed the topic choice: nobody chooses or changes any more.
    choices_locked: bool = False
    # Themes merged into another (old id -> new id): their choosers moved along.
    merged: dict = field(default_factory=dict)
    # The hall's Wi-Fi for the beamer's welcome ("" when none); never sent to phones or helpers.
    wifi_name: str = ""
    wifi_password: str = ""
    # The host brought the welcome (Wi-Fi and join QR code) back on the beamer after the lobby.
    welcome: bool = False

    def theme(self, theme_id, whole: bool = False) -> Theme:
        """The theme with this id, or ``unknown_theme``; with ``whole``, id 0 (the analysis as a
        whole) is accepted too."""
        if isinstance(theme_id, bool) or not isinstance(theme_id, int):
            raise Refused("unknown_theme")
        if whole and theme_id == WHOLE:
            return Theme(WHOLE, "")
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise Refused("unknown_theme")

    def results_shown(self, theme_id: int) -> bool:
        """Whether the beamer may show this theme's yes/partly/no split."""
        return not self.results_hidden and theme_id not in self.hidden_themes


# -- codes, keys and tokens ------------------------------------------------------------------


def new_code() -> str:
    """A short meeting code that is easy to read from a beamer and to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw) -> str | None:
    """The canonical code for what someone typed, or None if it cannot be one."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper()
    if not 4 <= len(code) <= 6 or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def new_key() -> str:
    """A host or participant secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def projector_key_for(host_key: str, code: str) -> str:
    """The projector key derived from the host key, so the host page can show the beamer link
    again although only hashes are stored."""
    digest = hmac.new(host_key.encode(), f"projector:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def helper_key_for(host_key: str, code: str) -> str:
    """The helper key (paper forms, a shared device) derived from the host key, like the
    projector key, so the host page can show the helper link again."""
    digest = hmac.new(host_key.encode(), f"helper:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def join_ticket(server_secret: str, code: str) -> str:
    """The ticket in a meeting's QR code and shared link: proof that a phone was shown the real
    code, so somebody else's mistyped codes from the same address never lock it out."""
    digest = hmac.new(server_secret.encode(), f"join:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def ticket_matches(server_secret: str, code: str, ticket) -> bool:
    """Constant-time check of a presented join ticket."""
    if not isinstance(ticket, str) or len(ticket) != 16 or not ticket.isascii():
        return False
    return hmac.compare_digest(join_ticket(server_secret, code), ticket)


def hash_secret(secret: str) -> str:
    """The stored form of a key or token (keys are long and random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret, stored_hash: str) -> bool:
    """Constant-time check of a presented key against its stored hash."""
    if not isinstance(secret, str) or not secret or not stored_hash or _SURROGATE.search(secret):
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def valid_token(token) -> bool:
    """Whether a participant token has the shape the server hands out."""
    return isinstance(token, str) and bool(TOKEN_RE.match(token))


# -- text ------------------------------------------------------------------------------------

# Cs: a lone surrogate (valid in JSON, not in UTF-8) would fail the whole write batch.
_CONTROL = {"Cc", "Cf", "Cs"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Enough for any script (Vietnamese, Thai, pointed Hebrew); more is "zalgo" text, a tower of
# marks drawn over the lines around it, on the host's screen and the beamer.
_MARKS = {"Mn", "Me"}
MAX_MARKS = 4
# The Hangul fillers are letters without sound or shape (Unicode says: show nothing), the usual
# way to type a name or an addition that looks empty. Modern Korean never needs them: they
# become the space they look like.
_FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
# Shows as a blank, like a space; kept inside text, but text of only these is empty.
_BLANK = {"\u2800"}  # braille pattern blank
# Line and paragraph separators break a line like a newline does.
_BREAKS = {"Zl", "Zp"}
# The two joiners are format characters, but text needs them where they join: the zero-width
# joiner inside an emoji sequence (a family, a rainbow flag, a job with a skin tone) and the
# non-joiner between two letters (Persian, some Indic and Arabic spellings). Anywhere else they
# only hide things, and are dropped like the other format characters.
_ZWJ, _ZWNJ = "\u200d", "\u200c"
# Lines an addition or a note may take: each more line breaks the beamer's page for all the
# others. Later line breaks become spaces, so no word is lost.
MAX_LINES = 10
# A raw string longer than this many times its limit is refused before it is cleaned.
RAW_FACTOR = 8


def _joins(joiner: str, before: str, after: str) -> bool:
    """Whether a joiner between these two characters is part of how the text is written."""
    if joiner == _ZWJ:
        # emoji, skin tone or variation selector 16, then another emoji
        return unicodedata.category(before) in ("So", "Sk", "Mn") and unicodedata.category(after) == "So"
    return unicodedata.category(before)[0] in "LM" and unicodedata.category(after)[0] == "L"


def _visible(ch: str) -> bool:
    """Whether one character shows something of its own (not a space, mark or blank)."""
    return not ch.isspace() and ch not in _BLANK and unicodedata.category(ch) not in _MARKS


def _lines(text: str) -> str:
    """Multi-line text: no spaces around a line, at most one empty line in a row, and at most
    ``MAX_LINES`` lines (the rest joined with spaces)."""
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        rest = " ".join(line for line in lines[MAX_LINES - 1 :] if line)
        text = "\n".join([*lines[: MAX_LINES - 1], rest]).strip()
    return text


def is_blank(raw) -> bool:
    """Whether a text shows nothing: empty, or only spaces, invisible characters and marks."""
    return not isinstance(raw, str) or not any(
        _visible(ch) for ch in raw if ch not in _FILLERS and unicodedata.category(ch) not in _CONTROL
    )


def clean_text(raw, limit: int, *, multiline: bool = False, required: bool = True) -> str:
    """Attendee or host text, normalised and bounded; raises ``text_empty``/``text_too_long``.
    Text that shows nothing (only spaces, invisible characters or marks) counts as empty."""
    if raw is None and not required:
        return ""
    if not isinstance(raw, str):
        raise Refused("bad_payload")
    # Before any work per character: cleaning may shorten text (zalgo marks, invisible
    # characters), but never by this much, and a huge string would hold the event loop.
    if len(raw) > RAW_FACTOR * limit:
        raise Refused("text_too_long")
    text = unicodedata.normalize("NFC", raw)
    # Drop control and format characters (bidi overrides, zero-width joiners) but keep newlines
    # where they belong; they are how spoofed or invisible text is made.
    kept = []
    marks = 0  # combining marks on the current letter
    for i, ch in enumerate(text):
        if ch in (_ZWJ, _ZWNJ):
            if kept and i + 1 < len(text) and _joins(ch, kept[-1], text[i + 1]):
                kept.append(ch)
            continue
        if ch in _FILLERS:
            ch = " "
        category = unicodedata.category(ch)
        if category in _MARKS:
            marks += 1
            if marks > MAX_MARKS:
                continue
        elif category not in _CONTROL:
            marks = 0
        if (ch == "\n" or category in _BREAKS) and multiline:
            kept.append("\n")
        elif ch in "\t\r\n" or category in _BREAKS:
            kept.append(" ")
        elif category not in _CONTROL:
            kept.append(ch)
    text = "".join(kept).strip()
    if multiline:
        text = _lines(text)
    if not any(_visible(ch) for ch in text):
        if required:
            raise Refused("text_empty")
        return ""
    if len(text) > limit:
        raise Refused("text_too_long")
    return text


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


# -- actions ---------------------------------------------------------------------------------


def message_id(payload) -> str:
    """The client-made id every payload carries, used to drop duplicates."""
    if not isinstance(payload, dict):
        raise Refused("bad_payload")
    raw = payload.get("id")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise Refused("bad_id")
    mid = str(raw)
    if not mid or len(mid) > MAX_MESSAGE_ID or _SURROGATE.search(mid):
        raise Refused("bad_id")
    return mid


def require_phase(meeting: Meeting, action: str) -> None:
    """Refuse an attendee action outside the phases that accept it."""
    if meeting.phase not in ACTION_PHASES[action]:
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
    """Free text an attendee adds to a theme, or to the whole (theme 0); it waits for moderation."""
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


def check_phase(payload: dict) -> str:
    """A phase the host may switch to (any phase, forward or back)."""
    phase = payload.get("phase")
    if phase not in PHASES:
        raise Refused("bad_phase")
    return phase


def check_endorse(meeting: Meeting, payload: dict) -> dict:
    """"Dat herken ik ook" on a shown addition (``on``), or taken back; the store checks that
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
    """Recognition for all themes at once, or one theme (or the whole, 0) at a time."""
    mode = payload.get("pace")
    if mode not in PACES:
        raise Refused("bad_pace")
    if mode == "all":
        return {"pace": "all", "theme": None}
    return {"pace": "one", "theme": meeting.theme(payload.get("theme"), whole=True).id}


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


# -- what each role sees ---------------------------------------------------------------------


def public_state(meeting: Meeting) -> dict:
    """The part of the snapshot every role gets."""
    return {
        "code": meeting.code,
        "title": meeting.title,
        "place": meeting.place,
        "date": meeting.date,
        "phase": meeting.phase,
        "version": meeting.version,
        "themes": [t.to_dict() for t in meeting.themes],
        "pace": {"mode": meeting.pace, "theme": meeting.current_theme},
        "results": {"hidden": meeting.results_hidden, "themes": sorted(meeting.hidden_themes)},
        "choices_locked": meeting.choices_locked,
        "merged": {str(old): new for old, new in meeting.merged.items()},
    }


def tally_rows(meeting: Meeting, counts: dict) -> list[dict]:
    """A tally row per theme, the whole (0) first: totals of phones and hands and where they
    come from. ``counts`` is the store's tally: phone rows per theme and hand counts. (The
    protocol sends the whole's row apart, as ``whole``, so ``themes`` holds real themes only.)"""
    phones = {row["theme"]: row for row in counts["themes"]}
    hands: dict[int, dict] = {}
    for row in counts.get("hands", ()):
        hands.setdefault(row["theme"], {})[row["answer"]] = row["count"]
    rows = []
    for theme in (WHOLE, *(t.id for t in meeting.themes)):
        phone = phones.get(theme, {})
        by_phone = {a: phone.get(a, 0) for a in ANSWERS}
        by_hand = {a: hands.get(theme, {}).get(a, 0) for a in ANSWERS}
        row = {"theme": theme, **{a: by_phone[a] + by_hand[a] for a in ANSWERS}}
        row["answered"] = sum(row[a] for a in ANSWERS)
        row["chosen"] = phone.get("chosen", 0)
        row["pledged"] = phone.get("pledged", 0)
        # Volunteers per role (never names): a theme without a trekker (lead) stands out.
        row["roles"] = {role: phone.get("roles", {}).get(role, 0) for role in ROLES}
        row["sources"] = {"phones": by_phone, "hands": by_hand}
        row["hidden"] = not meeting.results_shown(theme)
        rows.append(row)
    return rows


def for_projector(rows: list[dict]) -> list[dict]:
    """The tally rows the beamer may have: for a theme whose results are hidden, only how many
    answered, never the split (a page's data can be read)."""
    return [
        {k: row[k] for k in ("theme", "answered", "chosen", "pledged", "roles", "hidden")}
        if row["hidden"]
        else row
        for row in rows
    ]


# -- paper forms and a shared device (the helper screen) -------------------------------------

# Where a participant's answers came from: their own phone, a paper form typed in by a helper,
# or a helper's device handed to them. Raised hands are not participants (see manual counts).
ORIGINS = ("phone", "paper", "helper")
# Shown additions one form may say its person recognises ("Dat herken ik ook").
MAX_ENDORSE = 100
FORM_ORIGINS = ("paper", "helper")


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
