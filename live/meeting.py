"""The meeting domain: phases, the rules for every attendee and host action, and what each role sees.

Pure Python on purpose: no Flask, Socket.IO, SQLite or Redis import, so the rules can be tested
without a server and reused by every store. Validation returns cleaned values or raises
``Refused(slug)``; the Dutch sentence for a slug lives in ``live/texts.py``.
"""

from __future__ import annotations

import base64
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
}

# Code alphabet without look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 5

MAX_TITLE = 120
MAX_DESCRIPTION = 400
MAX_THEMES = 40
MAX_ADDITION = 500
MAX_NAME = 80
MAX_MESSAGE_ID = 64
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


class Refused(Exception):
    """An action refused with a stable English slug (``wrong_phase``, ``not_host``, ...)."""

    def __init__(self, slug: str):
        super().__init__(slug)
        self.slug = slug


@dataclass(frozen=True)
class Theme:
    """One outcome of the analysis, shown on every screen."""

    id: int
    title: str
    description: str = ""

    def to_dict(self) -> dict:
        """The public form used in the protocol."""
        return {"id": self.id, "title": self.title, "description": self.description}


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
    created_at: float = 0.0

    def theme(self, theme_id) -> Theme:
        """The theme with this id, or ``unknown_theme``."""
        if isinstance(theme_id, bool) or not isinstance(theme_id, int):
            raise Refused("unknown_theme")
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise Refused("unknown_theme")


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
# A raw string longer than this many times its limit is refused before it is cleaned.
RAW_FACTOR = 8


def clean_text(raw, limit: int, *, multiline: bool = False, required: bool = True) -> str:
    """Attendee or host text, normalised and bounded; raises ``text_empty``/``text_too_long``."""
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
    for ch in text:
        category = unicodedata.category(ch)
        if category in _MARKS:
            marks += 1
            if marks > MAX_MARKS:
                continue
        elif category not in _CONTROL:
            marks = 0
        if ch == "\n" and multiline:
            kept.append(ch)
        elif ch in "\t\r\n":
            kept.append(" ")
        elif category not in _CONTROL:
            kept.append(ch)
    text = "".join(kept).strip()
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text)
    if not text:
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
            if title.strip():
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


def parse_new_meeting(data) -> dict:
    """Validate the create-meeting input (API JSON or form fields)."""
    if not isinstance(data, dict):
        raise Refused("bad_payload")
    return {
        "title": clean_text(data.get("title"), MAX_TITLE),
        "place": clean_text(data.get("place") or None, MAX_TITLE, required=False),
        "date": clean_text(data.get("date") or None, 40, required=False),
        "themes": parse_themes(data.get("themes")),
    }


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
    """A recognition answer for one theme."""
    theme = meeting.theme(payload.get("theme"))
    answer = payload.get("answer")
    if answer not in ANSWERS:
        raise Refused("bad_answer")
    require_phase(meeting, "vote")
    return {"theme": theme.id, "answer": answer}


def check_addition(meeting: Meeting, payload: dict) -> dict:
    """Free text an attendee adds to a theme; it waits for moderation."""
    theme = meeting.theme(payload.get("theme"))
    text = clean_text(payload.get("text"), MAX_ADDITION, multiline=True)
    require_phase(meeting, "addition")
    return {"theme": theme.id, "text": text}


def check_choice(meeting: Meeting, payload: dict) -> dict:
    """The one theme a participant will work on after the break."""
    theme = meeting.theme(payload.get("theme"))
    require_phase(meeting, "choose")
    return {"theme": theme.id}


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
    theme = meeting.theme(payload.get("theme"))
    role = payload.get("role")
    if role not in ROLES:
        raise Refused("bad_role")
    name = payload.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        raise Refused("name_required")
    name = clean_text(name, MAX_NAME)
    email_raw, phone_raw = payload.get("email"), payload.get("phone")
    email = clean_email(email_raw) if email_raw not in (None, "") else ""
    phone = clean_phone(phone_raw) if phone_raw not in (None, "") else ""
    if not email and not phone:
        raise Refused("contact_required")
    if payload.get("consent") is not True:
        raise Refused("consent_required")
    require_phase(meeting, "pledge")
    return {"theme": theme.id, "role": role, "name": name, "email": email, "phone": phone}


def check_phase(payload: dict) -> str:
    """A phase the host may switch to (any phase, forward or back)."""
    phase = payload.get("phase")
    if phase not in PHASES:
        raise Refused("bad_phase")
    return phase


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
    }


def empty_tally(meeting: Meeting) -> list[dict]:
    """A tally row per theme with every count at zero."""
    return [
        {"theme": t.id, "yes": 0, "partly": 0, "no": 0, "chosen": 0, "pledged": 0} for t in meeting.themes
    ]
