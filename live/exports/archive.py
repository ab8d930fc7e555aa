"""The whole meeting as JSON, for archiving, and reading such a file back for an import.

The format is described in docs/export.md: the store's plain data with a small envelope. An
import is bounded like creating a meeting before anything is stored: ``parse`` reads the bytes
(in the writer's pool, never on the event loop), checks the envelope, the number of rows, every
known column's type, and cleans and bounds every text as the live screens do. Unknown columns
are refused. ``parse`` is pure: it holds no lock and touches nothing of the event loop.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import time

from live.domain import (
    ANSWERS,
    MAX_ADDITION,
    MAX_CAPACITY,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    MAX_PLACE,
    MAX_TABLES,
    MAX_THEMES,
    MAX_TITLE,
    MAX_WIFI_NAME,
    MAX_WIFI_PASSWORD,
    NOTE_FIELDS,
    ORIGINS,
    PACES,
    PHASES,
    ROLES,
    Refused,
    clean_email,
    clean_phone,
    clean_text,
    parse_day,
    parse_follow_up,
)

FORMAT = "burgerkracht-live/meeting"
VERSION = 1
LISTS = (
    "themes",
    "participants",
    "votes",
    "choices",
    "pledges",
    "notes",
    "additions",
    "manual_counts",
    "endorsements",
    "addition_hands",
)


# The largest import body. A 2,000-phone evening with ten themes is about 2 MiB.
MAX_BYTES = 8 * 1024 * 1024
# Rows an import may hold, per list: a large sports-hall evening fits with room to spare, and
# nothing beyond it reaches the store. Theme rows count removed and merged themes too; of the
# themes still in use at most ``MAX_THEMES``, as when creating.
MAX_ROWS = {
    "themes": 4 * MAX_THEMES,
    "participants": 20_000,
    "votes": 200_000,
    "choices": 20_000,
    "pledges": 60_000,
    "notes": 10_000,
    "additions": 20_000,
    "manual_counts": 4 * MAX_THEMES * len(ANSWERS),
    "endorsements": 200_000,
    "addition_hands": 20_000,
}
MAX_EMAIL, MAX_PHONE = 254, 40


class BadArchive(ValueError):
    """The file is not a meeting export this server can read; ``slug`` says why."""

    def __init__(self, why: str, slug: str = "bad_payload"):
        super().__init__(why)
        self.slug = slug


def _slow_decoder() -> json.JSONDecoder:
    """A JSON decoder in pure Python: some ten times slower than the C one, but it lets the event
    loop's thread run every few milliseconds (the C parser holds the interpreter until done)."""
    decoder = json.JSONDecoder()
    decoder.parse_string = json.decoder.py_scanstring
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder


def parse(raw: bytes) -> dict:
    """An import body (UTF-8 JSON bytes, at most ``MAX_BYTES``) as checked and cleaned plain
    data; ``BadArchive`` when it is not an export this server takes."""
    if len(raw) > MAX_BYTES:
        raise BadArchive("too large", "too_large")
    try:
        body = _slow_decoder().decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadArchive("not JSON") from None
    data = read_archive(body)
    return clean(data)


def meeting_json(data: dict) -> bytes:
    """The export file: ``{"format", "version", "exported_at", "meeting", "themes", …}``."""
    envelope = {"format": FORMAT, "version": VERSION, "exported_at": int(time.time()), **data}
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode("utf-8")


def read_archive(body) -> dict:
    """The store's plain data from a parsed export file; ``BadArchive`` when it is not one."""
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BadArchive("not a meeting export")
    if body.get("version") != VERSION:
        raise BadArchive("unknown version")
    meeting = body.get("meeting")
    if not isinstance(meeting, dict) or not isinstance(meeting.get("title"), str):
        raise BadArchive("no meeting")
    data = {"meeting": meeting}
    for name in LISTS:
        rows = body.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadArchive(f"{name} is not a list of objects")
        data[name] = rows
    if not data["themes"]:
        raise BadArchive("no themes")
    for name in LISTS:
        if len(data[name]) > MAX_ROWS[name]:
            raise BadArchive(f"too many {name}", "too_many_themes" if name == "themes" else "too_many_rows")
    for name, rows in (("meeting", [meeting]), *((n, data[n]) for n in LISTS)):
        for row in rows:
            unknown = set(row) - set(COLUMNS[name]) - {"code"}
            if unknown:
                raise BadArchive(f"unknown columns in {name}: {sorted(unknown)}")
    _check_values("meeting", [meeting])
    for name in LISTS:
        _check_values(name, data[name])
    return data


# -- the values an export may hold ---------------------------------------------------------------
# A store takes what its columns take (SQLite even takes text in an INTEGER column), and a meeting
# that holds what no screen can read fails on every page. So each known column's value is checked
# here: its type, and for words the ones this server uses. Unknown columns are the store's to refuse.

STATUSES = ("pending", "shown", "hidden", "promoted", "merged")
_ID_LIST = re.compile(r"(?:[0-9]{1,18}(?:,[0-9]{1,18})*)?")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _flag(value) -> bool:
    return isinstance(value, int) and value in (0, 1)


def _word(*words):
    return lambda value: value in words


def _text(value) -> bool:
    return isinstance(value, str)


def _day(value) -> bool:
    try:
        return isinstance(value, str) and parse_day(value) == value
    except Refused:
        return False


def _json_text(kind, item):
    """Text holding JSON of this kind (or nothing), each item passing ``item``."""

    def check(value) -> bool:
        if value == "":
            return True
        try:
            parsed = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            return False
        items = parsed.values() if isinstance(parsed, dict) else parsed
        return isinstance(parsed, kind) and all(item(v) for v in items)

    return check


def _optional(check):
    return lambda value: value is None or check(value)


COLUMNS = {
    "meeting": {
        "title": _text, "place": _text, "date": _text, "phase": _word(*PHASES), "version": _whole,
        "created_at": _number, "pace": _word(*PACES), "current_theme": _optional(_whole),
        "results_hidden": _flag, "hidden_themes": lambda v: isinstance(v, str) and _ID_LIST.fullmatch(v),
        "choices_locked": _flag, "held_on": lambda v: v == "" or _day(v),
        "retention_days": _optional(lambda v: _whole(v) and 0 <= v <= 3650),
        "wifi_name": _text, "wifi_password": _text, "welcome": _flag,
    },
    "themes": {
        "id": _whole, "title": _text, "description": _text, "position": _optional(_whole), "removed": _flag,
        "from_addition": _optional(_whole), "tables": _json_text(list, _text), "capacity": _optional(_whole),
        "merged_into": _optional(_whole), "follow_up": _json_text(dict, _text),
    },
    "participants": {"id": _whole, "created_at": _number, "origin": _word(*ORIGINS)},
    "votes": {"participant": _whole, "theme": _whole, "answer": _word(*ANSWERS)},
    "choices": {"participant": _whole, "theme": _whole, "seat": _whole},
    "pledges": {
        "participant": _whole, "theme": _whole, "role": _word(*ROLES), "name": _text, "email": _text,
        "phone": _text, "consent_at": _number, "contact_by": _word("", "email", "phone"), "share": _flag,
    },
    "notes": {
        "id": _whole, "theme": _whole, "field": _word(*NOTE_FIELDS), "participant": _whole, "text": _text,
        "created_at": _number,
    },
    "additions": {
        "id": _whole, "participant": _whole, "theme": _whole, "text": _text, "status": _word(*STATUSES),
        "created_at": _number, "merged_into": _optional(_whole),
    },
    "manual_counts": {"theme": _whole, "answer": _word(*ANSWERS), "count": _whole},
    "endorsements": {"addition": _whole, "participant": _whole},
    "addition_hands": {"addition": _whole, "count": lambda v: _whole(v) and 0 <= v <= 100_000},
}  # fmt: skip


def _check_values(name: str, rows: list) -> None:
    """``BadArchive`` when a known column of these rows holds what this server cannot read."""
    checks = COLUMNS[name]
    for row in rows:
        for column, value in row.items():
            check = checks.get(column)
            if check is not None and not check(value):
                raise BadArchive(f"{name}.{column} cannot be read")


# -- cleaning: every text as the live screens would have taken it ------------------------------------


def _text_of(value: str, limit: int, multiline: bool = False) -> str:
    """Text cleaned and bounded as when it was typed; an erased (empty) text stays empty."""
    if value == "":
        return ""
    try:
        return clean_text(value, limit, multiline=multiline, required=False)
    except Refused as refused:
        raise BadArchive(f"a text cannot be taken: {refused.slug}", refused.slug) from None


def _contact(value: str, check, limit: int) -> str:
    if value == "":
        return ""
    if len(value) > limit:
        raise BadArchive("a contact is too long", "text_too_long")
    try:
        return check(value)
    except Refused as refused:
        raise BadArchive(f"a contact cannot be taken: {refused.slug}", refused.slug) from None


def _tables(raw: str) -> str:
    places = json.loads(raw) if raw else []
    if len(places) > MAX_TABLES:
        raise BadArchive("too many tables", "too_many_tables")
    return json.dumps([_text_of(p, MAX_PLACE) for p in places]) if places else ""


def _follow_up(raw: str) -> str:
    if not raw:
        return ""
    try:
        fields = parse_follow_up(json.loads(raw))
    except Refused as refused:
        raise BadArchive(f"a follow-up meeting cannot be taken: {refused.slug}", refused.slug) from None
    return json.dumps(fields) if fields else ""


def clean(data: dict) -> dict:
    """The checked archive with every text cleaned and bounded, and the limits of creating."""
    meeting = {"created_at": time.time(), **data["meeting"]}
    for key, limit in (("title", MAX_TITLE), ("place", MAX_TITLE), ("date", 40)):
        if key in meeting:
            meeting[key] = _text_of(meeting[key], limit)
    if not meeting["title"]:
        raise BadArchive("no title", "text_empty")
    for key, limit in (("wifi_name", MAX_WIFI_NAME), ("wifi_password", MAX_WIFI_PASSWORD)):
        if key in meeting:
            meeting[key] = _text_of(meeting[key], limit)
    if not meeting.get("wifi_name"):  # a password without a network means nothing
        meeting.pop("wifi_password", None)
    themes = []
    for row in data["themes"]:
        row = dict(row)
        row["title"] = _text_of(row.get("title", ""), MAX_TITLE)
        if not row["title"]:
            raise BadArchive("a theme without a title", "text_empty")
        row["description"] = _text_of(row.get("description", ""), MAX_DESCRIPTION)
        row["tables"] = _tables(row.get("tables", ""))
        row["follow_up"] = _follow_up(row.get("follow_up", ""))
        if row.get("capacity") is not None and not 1 <= row["capacity"] <= MAX_CAPACITY:
            raise BadArchive("a capacity out of range", "bad_capacity")
        themes.append(row)
    if sum(1 for row in themes if not row.get("removed")) > MAX_THEMES:
        raise BadArchive("too many themes", "too_many_themes")
    pledges = [
        {
            **row,
            "name": _text_of(row.get("name", ""), MAX_NAME),
            "email": _contact(row.get("email", ""), clean_email, MAX_EMAIL),
            "phone": _contact(row.get("phone", ""), clean_phone, MAX_PHONE),
        }
        for row in data["pledges"]
    ]
    notes = [{**row, "text": _text_of(row.get("text", ""), MAX_NOTE, True)} for row in data["notes"]]
    additions = [
        {**row, "text": _text_of(row.get("text", ""), MAX_ADDITION, True)} for row in data["additions"]
    ]
    return {**data, "meeting": meeting, "themes": themes, "pledges": pledges, "notes": notes,
            "additions": additions}  # fmt: skip
