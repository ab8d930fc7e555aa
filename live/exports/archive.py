"""The whole meeting as JSON, for archiving, and reading such a file back for an import.

The format is described in docs/export.md: the store's plain data with a small envelope. An
import checks the envelope and the shape here; the store checks every table and column.
"""

from __future__ import annotations

import json
import re
import time

from live.meeting import ANSWERS, NOTE_FIELDS, ORIGINS, PACES, PHASES, ROLES, Refused, parse_day

FORMAT = "burgerkracht-live/meeting"
VERSION = 1
LISTS = ("themes", "participants", "votes", "choices", "pledges", "notes", "additions", "manual_counts")


class BadArchive(ValueError):
    """The file is not a meeting export this server can read."""


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
}  # fmt: skip


def _check_values(name: str, rows: list) -> None:
    """``BadArchive`` when a known column of these rows holds what this server cannot read."""
    checks = COLUMNS[name]
    for row in rows:
        for column, value in row.items():
            check = checks.get(column)
            if check is not None and not check(value):
                raise BadArchive(f"{name}.{column} cannot be read")
