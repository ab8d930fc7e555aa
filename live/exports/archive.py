"""The whole meeting as a JSON document (``bijeenkomst.json``), and reading one back for an import.

The format is described, field by field, in docs/export.md. Version 2 (written since issue 16)
says the meeting in the project's own words, independent of any store's tables: ``to_document``
maps the store's plain data (``Store.export_meeting``: one list of rows per table) to it, and
``from_document`` maps it back, so a store keeps its own tables and a second store only fills the
same plain data. Version 1 (until then) was that plain data itself; it still imports.

An import is bounded like creating a meeting before anything is stored: ``parse`` reads the bytes
(in the writer's pool, never on the event loop), checks the envelope, the number of rows, every
known field's type and every reference inside the document, and cleans and bounds every text as
the live screens do. Unknown fields are refused. ``parse`` is pure: it holds no lock and touches
nothing of the event loop. This module must not reach the store or any request.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import time

from live.domain import (
    ADDITION_KINDS,
    ALL_PHASES,
    ANSWERS,
    GROUP_STATUSES,
    KINDS,
    MAX_ADDITION,
    MAX_AGREEMENT,
    MAX_AGREEMENTS,
    MAX_CAPACITY,
    MAX_DESCRIPTION,
    MAX_DUE,
    MAX_HOST_NOTE,
    MAX_NAME,
    MAX_NOTE,
    MAX_PLACE,
    MAX_PLAN_FIELD,
    MAX_TABLES,
    MAX_THEMES,
    MAX_TITLE,
    MAX_WHO,
    MAX_WIFI_NAME,
    MAX_WIFI_PASSWORD,
    NOTE_FIELDS,
    ORIGINS,
    PACES,
    PLAN_FIELDS,
    ROLES,
    WHOLE,
    Refused,
    clean_email,
    clean_phone,
    clean_text,
    parse_day,
    parse_follow_up,
    plan_of,
)

FORMAT = "burgerkracht-live/meeting"
# The version an export writes, and the versions an import reads.
VERSION = 2
READS = (1, 2)
# The store's plain data: one list of rows per table of the meeting (and version 1 of the file).
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
    "groups",
    "agreements",
)
# Version 2's lists, in the order of the evening, and the store's list each one comes from.
DOCUMENT_LISTS = {
    "themes": "themes", "participants": "participants", "answers": "votes", "manual_counts": "manual_counts",
    "additions": "additions", "endorsements": "endorsements", "addition_hands": "addition_hands",
    "choices": "choices", "notes": "notes", "pledges": "pledges",
    "groups": "groups", "agreements": "agreements",
}  # fmt: skip
# In the store's plain data the host writes as participant 0 (``live.store.HOST_ACTOR``: a card
# note by the host); in the document the host is ``null``, as it is nobody among the participants.
HOST = 0


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
    "groups": 4 * MAX_THEMES,
    "agreements": 2 * MAX_AGREEMENTS,
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
    """The export file from the store's plain data: ``{"format", "version", "exported_at",
    "meeting", "themes", …}`` in version 2 (``to_document``)."""
    envelope = {"format": FORMAT, "version": VERSION, "exported_at": int(time.time()), **to_document(data)}
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode("utf-8")


def read_archive(body) -> dict:
    """The store's plain data from a parsed export file (version 1 or 2), checked but not yet
    cleaned; ``BadArchive`` when it is not one."""
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BadArchive("not a meeting export")
    version = body.get("version")
    if type(version) is not int or version not in READS:
        raise BadArchive("unknown version")
    if version == 2:
        body = from_document(body)
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


def _origin(value) -> bool:
    """What a working group brought from its evening: ``{from, theme, card, members, others}``."""
    card = _list_of(_fields(field=_text, text=_text))
    members = _list_of(_fields(name=_text, email=_text, phone=_text, role=_word(*ROLES)))
    others = lambda v: isinstance(v, dict) and all(k in ROLES and _whole(n) and n >= 0 for k, n in v.items())  # noqa: E731
    return _fields(
        from_=_optional(_text), theme=_optional(_whole), card=card, members=members, others=others
    )({("from_" if k == "from" else k): v for k, v in value.items()} if isinstance(value, dict) else value)


def _origin_text(value) -> bool:
    """``_origin`` kept as JSON text (or nothing)."""
    if value == "":
        return True
    try:
        return isinstance(value, str) and _origin(json.loads(value))
    except ValueError:
        return False


COLUMNS = {
    "meeting": {
        "title": _text, "place": _text, "date": _text, "phase": _word(*ALL_PHASES), "version": _whole,
        "created_at": _number, "pace": _word(*PACES), "current_theme": _optional(_whole),
        "results_hidden": _flag, "hidden_themes": lambda v: isinstance(v, str) and _ID_LIST.fullmatch(v),
        "choices_locked": _flag, "held_on": lambda v: v == "" or _day(v),
        "retention_days": _optional(lambda v: _whole(v) and 0 <= v <= 3650),
        "wifi_name": _text, "wifi_password": _text, "welcome": _flag,
        "kind": _word(*KINDS), "presenting": _optional(_whole),
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
        "created_at": _number, "merged_into": _optional(_whole), "kind": _word("", *ADDITION_KINDS),
    },
    "manual_counts": {"theme": _whole, "answer": _word(*ANSWERS), "count": _whole},
    "endorsements": {"addition": _whole, "participant": _whole},
    "addition_hands": {"addition": _whole, "count": lambda v: _whole(v) and 0 <= v <= 100_000},
    "groups": {
        "theme": _whole, "plan": _json_text(dict, _text), "status": _word(*GROUP_STATUSES),
        "called_on": lambda v: v == "" or _day(v), "host_note": _text, "origin": lambda v: _origin_text(v),
    },
    "agreements": {
        "id": _whole, "text": _text, "themes": lambda v: isinstance(v, str) and _ID_LIST.fullmatch(v),
        "who": _text, "due": _text, "removed": _flag, "created_at": _number,
    },
}  # fmt: skip


def _check_values(name: str, rows: list) -> None:
    """``BadArchive`` when a known column of these rows holds what this server cannot read."""
    checks = COLUMNS[name]
    for row in rows:
        for column, value in row.items():
            check = checks.get(column)
            if check is not None and not check(value):
                raise BadArchive(f"{name}.{column} cannot be read")


# -- version 2: the meeting in the project's own words ------------------------------------------------
# Every reference inside the document is by the document's own ids: participants and additions
# are numbered 1, 2, … in the order the store holds them (its row ids are its own business and
# change with every import), themes keep their number within the meeting (the one in the
# working-group addresses). Theme 0 is the analysis as a whole, wherever a phone may answer it.


def _tables_of(raw) -> list:
    return json.loads(raw) if raw else []


def _follow_up_of(raw):
    return json.loads(raw) if raw else None


# The order of each list in a document: the same meeting gives the same file from any store
# (SQLite lists rows as they were written, Redis per participant). Ids keep arrival order.
ORDER = {
    "participants": ("id",),
    "votes": ("participant", "theme"),
    "manual_counts": ("theme", "answer"),
    "additions": ("id",),
    "endorsements": ("addition", "participant"),
    "addition_hands": ("addition",),
    "choices": ("participant",),
    "notes": ("id", "created_at", "theme", "field", "participant"),
    "pledges": ("consent_at", "participant", "theme"),
}


def in_order(data: dict) -> dict:
    """``data`` with every list sorted by ``ORDER`` (a missing or empty value first)."""

    def key(fields):
        return lambda row: tuple(
            (row.get(f) is not None, row.get(f) if row.get(f) is not None else 0) for f in fields
        )

    return {**data, **{name: sorted(data.get(name, []), key=key(fields)) for name, fields in ORDER.items()}}


def to_document(data: dict) -> dict:
    """Version 2's ``meeting`` and lists from the store's plain data (``Store.export_meeting``)."""
    data = in_order(data)
    people = {row["id"]: n for n, row in enumerate(data.get("participants", []), 1)}
    added = {row["id"]: n for n, row in enumerate(data.get("additions", []), 1)}

    def who(participant):
        return None if participant == HOST else people[participant]

    def addition(old):
        return None if old is None else added[old]

    m = data["meeting"]
    hidden = [int(t) for t in (m.get("hidden_themes") or "").split(",") if t]
    wifi = {"name": m["wifi_name"], "password": m.get("wifi_password", "")} if m.get("wifi_name") else None
    meeting = {
        "code": m.get("code"),
        "title": m["title"],
        "place": m.get("place", ""),
        "date": m.get("date", ""),
        "held_on": m.get("held_on", ""),
        "retention_days": m.get("retention_days"),
        "created_at": m.get("created_at"),
        "phase": m.get("phase", "lobby"),
        "pace": m.get("pace", "all"),
        "current_theme": m.get("current_theme"),
        "results": {
            "hidden": bool(m.get("results_hidden")),
            "whole_hidden": WHOLE in hidden,
            "hidden_themes": [t for t in hidden if t != WHOLE],
        },
        "choices_locked": bool(m.get("choices_locked")),
        "wifi": wifi,
        "welcome": bool(m.get("welcome")),
        "kind": m.get("kind") or "avond",
        "presenting": m.get("presenting"),
    }
    themes = [
        {
            "id": t["id"],
            "title": t["title"],
            "description": t.get("description", ""),
            "position": t.get("position"),
            "tables": _tables_of(t.get("tables")),
            "capacity": t.get("capacity"),
            "from_addition": addition(t.get("from_addition")),
            "merged_into": t.get("merged_into"),
            "removed": bool(t.get("removed")),
            "follow_up": _follow_up_of(t.get("follow_up")),
        }
        for t in data.get("themes", [])
    ]
    return {
        "meeting": meeting,
        "themes": themes,
        "participants": [
            {"id": people[p["id"]], "origin": p.get("origin", "phone"), "joined_at": p.get("created_at")}
            for p in data.get("participants", [])
        ],
        "answers": [
            {"participant": who(v["participant"]), "theme": v["theme"], "answer": v["answer"]}
            for v in data.get("votes", [])
        ],
        "manual_counts": [
            {"theme": h["theme"], "answer": h["answer"], "count": h["count"]}
            for h in data.get("manual_counts", [])
        ],
        "additions": [
            {
                "id": added[a["id"]],
                "participant": who(a["participant"]),
                "theme": a["theme"],
                "text": a.get("text", ""),
                "status": a.get("status", "pending"),
                "merged_into": addition(a.get("merged_into")),
                "added_at": a.get("created_at"),
                "kind": a.get("kind") or None,
            }
            for a in data.get("additions", [])
        ],
        "endorsements": [
            {"addition": added[e["addition"]], "participant": who(e["participant"])}
            for e in data.get("endorsements", [])
        ],
        "addition_hands": [
            {"addition": added[h["addition"]], "count": h["count"]} for h in data.get("addition_hands", [])
        ],
        "choices": [
            {"participant": who(c["participant"]), "theme": c["theme"], "table": c.get("seat", 0)}
            for c in data.get("choices", [])
        ],
        "notes": [
            {
                "theme": n["theme"],
                "field": n["field"],
                "participant": who(n["participant"]),
                "text": n.get("text", ""),
                "written_at": n.get("created_at"),
            }
            for n in data.get("notes", [])
        ],
        "pledges": [
            {
                "participant": who(p["participant"]),
                "theme": p["theme"],
                "role": p["role"],
                "name": p.get("name", ""),
                "contact": {
                    "channel": p.get("contact_by") or None,
                    "email": p.get("email", ""),
                    "phone": p.get("phone", ""),
                },
                "consent_at": p.get("consent_at"),
                "share": bool(p.get("share")),
            }
            for p in data.get("pledges", [])
        ],
        "groups": [
            {
                "theme": g["theme"],
                "plan": plan_of(g.get("plan", "")),
                "status": g.get("status", "loopt"),
                "called_on": g.get("called_on", ""),
                "host_note": g.get("host_note", ""),
                "origin": json.loads(g["origin"]) if g.get("origin") else None,
            }
            for g in sorted(data.get("groups", []), key=lambda g: g["theme"])
        ],
        "agreements": [
            {
                "id": a["id"],
                "text": a["text"],
                "themes": [int(t) for t in (a.get("themes") or "").split(",") if t],
                "who": a.get("who", ""),
                "due": a.get("due", ""),
                "removed": bool(a.get("removed")),
                "made_at": a.get("created_at"),
            }
            for a in sorted(data.get("agreements", []), key=lambda a: a["id"])
        ],
    }


def _bool(value) -> bool:
    return isinstance(value, bool)


def _id(value) -> bool:
    return _whole(value) and value >= 1


def _index(value) -> bool:
    return _whole(value) and value >= 0


def _fields(**checks):
    """An object holding only these fields, each passing its check."""
    return lambda value: (
        isinstance(value, dict) and all(k in checks and checks[k](v) for k, v in value.items())
    )


def _list_of(check):
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


# Each list's fields and what their values may be; ``REQUIRED`` fields must be there (ids,
# references and moments: a row without them means nothing), the others take their default.
FIELDS = {
    "meeting": {
        "code": _optional(_text), "title": _text, "place": _text, "date": _text,
        "held_on": COLUMNS["meeting"]["held_on"], "retention_days": COLUMNS["meeting"]["retention_days"],
        "created_at": _optional(_number), "phase": _word(*ALL_PHASES), "pace": _word(*PACES),
        "current_theme": _optional(_index),
        "results": _fields(hidden=_bool, whole_hidden=_bool, hidden_themes=_list_of(_id)),
        "choices_locked": _bool, "wifi": _optional(_fields(name=_text, password=_text)), "welcome": _bool,
        "kind": _word(*KINDS), "presenting": _optional(_id),
    },
    "themes": {
        "id": _id, "title": _text, "description": _text, "position": _optional(_whole),
        "tables": _list_of(_text), "capacity": _optional(_whole), "from_addition": _optional(_id),
        "merged_into": _optional(_id), "removed": _bool,
        "follow_up": _optional(_fields(date=_text, time=_text, place=_text)),
    },
    "participants": {"id": _id, "origin": _word(*ORIGINS), "joined_at": _number},
    "answers": {"participant": _optional(_id), "theme": _index, "answer": _word(*ANSWERS)},
    "manual_counts": {"theme": _index, "answer": _word(*ANSWERS), "count": _whole},
    "additions": {
        "id": _id, "participant": _optional(_id), "theme": _index, "text": _text, "status": _word(*STATUSES),
        "merged_into": _optional(_id), "added_at": _number,
        "kind": _optional(_word(*ADDITION_KINDS)),
    },
    "endorsements": {"addition": _id, "participant": _optional(_id)},
    "addition_hands": {"addition": _id, "count": COLUMNS["addition_hands"]["count"]},
    "choices": {"participant": _optional(_id), "theme": _id, "table": _index},
    "notes": {"theme": _id, "field": _word(*NOTE_FIELDS), "participant": _optional(_id), "text": _text,
              "written_at": _number},
    "pledges": {
        "participant": _optional(_id), "theme": _id, "role": _word(*ROLES), "name": _text,
        "contact": _fields(channel=_optional(_word("email", "phone")), email=_text, phone=_text),
        "consent_at": _number, "share": _bool,
    },
    "groups": {
        "theme": _id, "plan": _fields(**dict.fromkeys(PLAN_FIELDS, _text)), "status": _word(*GROUP_STATUSES),
        "called_on": COLUMNS["groups"]["called_on"], "host_note": _text,
        "origin": _optional(lambda v: _origin(v)),
    },
    "agreements": {
        "id": _id, "text": _text, "themes": _list_of(_id), "who": _text, "due": _text, "removed": _bool,
        "made_at": _optional(_number),
    },
}  # fmt: skip
REQUIRED = {
    "meeting": ("title",),
    "themes": ("id", "title"),
    "participants": ("id", "joined_at"),
    "answers": ("participant", "theme", "answer"),
    "manual_counts": ("theme", "answer", "count"),
    "additions": ("id", "participant", "theme", "text", "added_at"),
    "endorsements": ("addition", "participant"),
    "addition_hands": ("addition", "count"),
    "choices": ("participant", "theme"),
    "notes": ("theme", "field", "participant", "text", "written_at"),
    "pledges": ("participant", "theme", "role", "consent_at"),
    "groups": ("theme",),
    "agreements": ("id", "text", "themes"),
}
ENVELOPE = ("format", "version", "exported_at")


def _ids(rows: list, name: str) -> set:
    ids = [row["id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise BadArchive(f"two {name} with one id")
    return set(ids)


def _points(value, known, what: str) -> None:
    if value is not None and value not in known:
        raise BadArchive(f"a reference to a {what} the file lacks")


def from_document(body: dict) -> dict:
    """The store's plain data (as version 1 holds it) from a version-2 document; ``BadArchive``
    when a field is unknown or cannot be read, or a reference points at nothing in the file."""
    unknown = set(body) - {*ENVELOPE, "meeting", *DOCUMENT_LISTS}
    if unknown:
        raise BadArchive(f"unknown fields: {sorted(unknown)}")
    if "exported_at" in body and not _number(body["exported_at"]):
        raise BadArchive("exported_at cannot be read")
    meeting = body.get("meeting")
    if not isinstance(meeting, dict):
        raise BadArchive("no meeting")
    doc = {}
    for name, plain in DOCUMENT_LISTS.items():
        rows = body.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadArchive(f"{name} is not a list of objects")
        if len(rows) > MAX_ROWS[plain]:
            raise BadArchive(f"too many {name}", "too_many_themes" if name == "themes" else "too_many_rows")
        doc[name] = rows
    for name, rows in (("meeting", [meeting]), *doc.items()):
        checks, required = FIELDS[name], REQUIRED[name]
        for row in rows:
            for key, value in row.items():
                check = checks.get(key)
                if check is None:
                    raise BadArchive(f"unknown field {name}.{key}")
                if not check(value):
                    raise BadArchive(f"{name}.{key} cannot be read")
            if any(key not in row for key in required):
                raise BadArchive(f"{name} lacks {[k for k in required if k not in row]}")
    _check_references(meeting, doc)
    return {"meeting": _plain_meeting(meeting), **_plain_lists(doc)}


def _check_references(meeting: dict, doc: dict) -> None:
    """Every reference inside the document points at something in it."""
    themes = _ids(doc["themes"], "themes")
    people = _ids(doc["participants"], "participants")
    additions = _ids(doc["additions"], "additions")
    answerable = themes | {WHOLE}  # where a phone may answer the whole analysis
    _points(meeting.get("current_theme"), answerable, "theme")
    for theme in meeting.get("results", {}).get("hidden_themes", []):
        _points(theme, themes, "theme")
    for row in doc["themes"]:
        _points(row.get("merged_into"), themes, "theme")
        _points(row.get("from_addition"), additions, "addition")
    for name in ("answers", "additions", "manual_counts"):
        for row in doc[name]:
            _points(row["theme"], answerable, "theme")
    for name in ("choices", "notes", "pledges"):
        for row in doc[name]:
            _points(row["theme"], themes, "theme")
    for name in ("answers", "additions", "endorsements", "choices", "notes", "pledges"):
        for row in doc[name]:
            _points(row["participant"], people, "participant")
    for row in doc["additions"]:
        _points(row.get("merged_into"), additions, "addition")
    for name in ("endorsements", "addition_hands"):
        for row in doc[name]:
            _points(row["addition"], additions, "addition")
    _points(meeting.get("presenting"), themes, "theme")
    for row in doc["groups"]:
        _points(row["theme"], themes, "theme")
    for row in doc["agreements"]:
        for theme in row["themes"]:
            _points(theme, themes, "theme")


def _plain_meeting(m: dict) -> dict:
    """The store's meeting row from the document's ``meeting``."""
    plain = {k: m[k] for k in ("code", "title", "place", "date", "held_on", "retention_days", "created_at",
                                "phase", "pace", "current_theme") if k in m}  # fmt: skip
    if plain.get("created_at") is None:  # not known: made now, as far as this server can tell
        plain.pop("created_at", None)
    for key in ("choices_locked", "welcome"):
        if key in m:
            plain[key] = int(m[key])
    # An evening and nobody presenting are what a store holds without them.
    if m.get("kind", "avond") != "avond":
        plain["kind"] = m["kind"]
    if m.get("presenting") is not None:
        plain["presenting"] = m["presenting"]
    if "results" in m:
        results = m["results"]
        hidden = set(results.get("hidden_themes", [])) | ({WHOLE} if results.get("whole_hidden") else set())
        plain["results_hidden"] = int(results.get("hidden", False))
        plain["hidden_themes"] = ",".join(str(t) for t in sorted(hidden))
    if "wifi" in m:
        wifi = m["wifi"] or {}
        plain["wifi_name"], plain["wifi_password"] = wifi.get("name", ""), wifi.get("password", "")
    return plain


def _renamed(row: dict, names: dict) -> dict:
    """A row with its fields under the store's names; a participant ``None`` is the host."""
    plain = {names.get(k, k): v for k, v in row.items()}
    if "participant" in plain and plain["participant"] is None:
        plain["participant"] = HOST
    return plain


def _plain_lists(doc: dict) -> dict:
    """The store's lists from the document's."""
    themes = []
    for row in doc["themes"]:
        plain = dict(row)
        if "removed" in plain:
            plain["removed"] = int(plain["removed"])
        if "tables" in plain:
            plain["tables"] = json.dumps(plain["tables"]) if plain["tables"] else ""
        if "follow_up" in plain:
            plain["follow_up"] = json.dumps(plain["follow_up"]) if plain["follow_up"] else ""
        themes.append(plain)
    pledges = []
    for row in doc["pledges"]:
        plain = _renamed({k: v for k, v in row.items() if k != "contact"}, {})
        if "share" in plain:
            plain["share"] = int(plain["share"])
        if "contact" in row:
            contact = row["contact"]
            plain["contact_by"] = contact.get("channel") or ""
            plain["email"], plain["phone"] = contact.get("email", ""), contact.get("phone", "")
        pledges.append(plain)
    return {
        "themes": themes,
        "participants": [_renamed(r, {"joined_at": "created_at"}) for r in doc["participants"]],
        "votes": [_renamed(r, {}) for r in doc["answers"]],
        "manual_counts": [dict(r) for r in doc["manual_counts"]],
        "additions": [
            {k: v for k, v in _renamed(r, {"added_at": "created_at"}).items() if k != "kind" or v}
            for r in doc["additions"]
        ],
        "endorsements": [_renamed(r, {}) for r in doc["endorsements"]],
        "addition_hands": [dict(r) for r in doc["addition_hands"]],
        "choices": [_renamed(r, {"table": "seat"}) for r in doc["choices"]],
        "notes": [_renamed(r, {"written_at": "created_at"}) for r in doc["notes"]],
        "pledges": pledges,
        "groups": [
            {
                **{k: v for k, v in r.items() if k in ("theme", "status", "called_on", "host_note")},
                "plan": json.dumps(r["plan"], ensure_ascii=False) if r.get("plan") else "",
                "origin": json.dumps(r["origin"], ensure_ascii=False) if r.get("origin") else "",
            }
            for r in doc["groups"]
        ],
        "agreements": [
            {
                **{k: v for k, v in r.items() if k in ("id", "text", "who", "due")},
                "themes": ",".join(str(t) for t in r["themes"]),
                "removed": int(r.get("removed", False)),
                **({"created_at": r["made_at"]} if r.get("made_at") is not None else {}),
            }
            for r in doc["agreements"]
        ],
    }


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
    groups = [_clean_group(row) for row in data.get("groups", [])]
    agreements = [
        {
            **row,
            "text": _text_of(row.get("text", ""), MAX_AGREEMENT, True),
            "who": _text_of(row.get("who", ""), MAX_WHO),
            "due": _text_of(row.get("due", ""), MAX_DUE),
        }
        for row in data.get("agreements", [])
    ]
    return {**data, "meeting": meeting, "themes": themes, "pledges": pledges, "notes": notes,
            "additions": additions, "groups": groups, "agreements": agreements}  # fmt: skip


def _clean_group(row: dict) -> dict:
    """A working group with its plan, note and what it brought cleaned and bounded."""
    row = dict(row)
    if row.get("plan"):
        plan = plan_of(row["plan"])
        row["plan"] = json.dumps(
            {k: _text_of(v, MAX_PLAN_FIELD, True) for k, v in plan.items()}, ensure_ascii=False
        )
    row["host_note"] = _text_of(row.get("host_note", ""), MAX_HOST_NOTE, True)
    if row.get("origin"):
        origin = json.loads(row["origin"])
        origin["card"] = [
            {**c, "text": _text_of(c.get("text", ""), MAX_NOTE, True)} for c in origin.get("card", [])
        ]
        origin["members"] = [
            {
                **m,
                "name": _text_of(m.get("name", ""), MAX_NAME),
                "email": _contact(m.get("email", ""), clean_email, MAX_EMAIL),
                "phone": _contact(m.get("phone", ""), clean_phone, MAX_PHONE),
            }
            for m in origin.get("members", [])
        ]
        row["origin"] = json.dumps(origin, ensure_ascii=False)
    return row
