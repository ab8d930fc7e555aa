"""The hand-off: file formats made from a meeting's plain data (``Store.export_meeting``).

Each module is one format and returns bytes: ``table_csv`` (CSV for Dutch Excel), ``xlsx``
(working groups, and the evening's counts and additions), ``calendar`` (the ``.ics`` of a working
group's first meeting), ``archive`` (the whole meeting as JSON). ``evening`` turns the plain data
into what the printable pages show. Nothing here reads the store, Flask or the request: the views
check access, fetch the data and stream what a module returns.

This module holds what every format shares: the working groups, and keeping attendee text inert.
"""

from __future__ import annotations

import json
import re
import unicodedata

import phonenumbers

ROLE_ORDER = {"lead": 0, "member": 1, "occasional": 2}
# The plan of approach's fields in their order (live.domain's PLAN_FIELDS; not imported, as the
# exports read plain data only).
PLAN_ORDER = ("goal", "actions", "tasks", "needs", "when", "first_step")

# What a spreadsheet may take as the start of a formula, and the full-width look-alikes that some
# spreadsheet programs turn into the same (U+FF1D =, U+FF0B +, U+FF0D -, U+FF20 @).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula after what it may skip at the
    start: any Unicode space (U+00A0, U+3000 …) and invisible format characters (U+200B, U+FEFF)."""
    start = 0
    while start < len(text) and (text[start].isspace() or unicodedata.category(text[start]) in ("Zs", "Cf")):
        if text[start] in ("\t", "\r", "\n"):
            break  # these start a formula themselves
        start += 1
    return text[start:].startswith(FORMULA_START)


def phone_for_people(phone: str) -> str:
    """A stored ``+31…`` number as people write it, which no spreadsheet reads as a number or a
    formula: ``06 12345678`` for Dutch numbers, ``0032 470 12 34 56`` for others."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "NL")
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code == 31:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00" + written[1:] if written.startswith("+") else written


def follow_up(theme: dict) -> dict | None:
    """A theme's first follow-up meeting ``{date, time, place}``, or None."""
    raw = theme.get("follow_up") or ""
    return json.loads(raw) if raw else None


def origins(data: dict) -> dict:
    """How each participant took part (``phone``, ``paper``, ``helper``), by participant id."""
    return {p["id"]: p.get("origin") or "phone" for p in data.get("participants", [])}


def theme_order(data: dict) -> list[dict]:
    """Every theme, the live ones in their screen order first, then removed and merged ones."""
    return sorted(data["themes"], key=lambda t: (bool(t["removed"]), t.get("position") or t["id"], t["id"]))


def working_groups(data: dict, theme: int | None = None, shared_only: bool = False) -> list[dict]:
    """Per theme (or the one asked for) the people who pledged, trekkers first, and its card:
    ``[{theme, follow_up, members: [pledge + origin], notes}]``. ``shared_only``: only those who
    agreed to share their details with the group (the lists meant for the group itself)."""
    where = origins(data)
    groups = []
    for t in theme_order(data):
        if theme is not None and t["id"] != theme:
            continue
        members = [
            {**p, "origin": p.get("origin") or where.get(p["participant"], "phone")}
            for p in data["pledges"]
            if p["theme"] == t["id"] and (p["share"] or not shared_only) and p["name"]
        ]
        # A terugkombijeenkomst: the members who came along from the evening (those who shared
        # their details there), beside who joined at this meeting. A merged group's went along.
        if t.get("merged_into") is None:
            members += [m for m in evening_members(data, t["id"]) if m["name"]]
        members.sort(key=lambda p: (ROLE_ORDER.get(p["role"], 9), p["name"].casefold(), p["participant"]))
        notes = [n for n in data["notes"] if n["theme"] == t["id"] and n["text"]]
        groups.append({"theme": t, "follow_up": follow_up(t), "members": members, "notes": notes})
    return groups


def _group_origin(data: dict, theme: int) -> dict:
    row = next((g for g in data.get("groups", []) if g["theme"] == theme), None)
    return json.loads(row.get("origin") or "{}") if row else {}


def evening_members(data: dict, theme: int) -> list[dict]:
    """A terugkombijeenkomst's group members from its evening, shaped like this meeting's pledges
    (``origin: "evening"``, no consent time of this meeting); empty for an evening."""
    return [
        {
            "participant": 0,
            "theme": theme,
            "role": m.get("role", "member"),
            "name": m.get("name", ""),
            "email": m.get("email", ""),
            "phone": m.get("phone", ""),
            "contact_by": "",
            "share": True,
            "consent_at": None,
            "origin": "evening",
        }  # fmt: skip
        for m in _group_origin(data, theme).get("members", [])
    ]


def follow_up_groups(data: dict) -> list[dict]:
    """A terugkombijeenkomst's working groups still in it with their plans, for the hand-off:
    ``[{theme, title, plan: {field: text}, members_count}]`` in theme order; empty for an evening."""
    titles = {t["id"]: t["title"] for t in data["themes"]}
    alive = {t["id"] for t in data["themes"] if not t["removed"]}
    out = []
    for row in data.get("groups", []):
        if row["theme"] not in alive:  # merged into another, or removed by the host
            continue
        stored = json.loads(row.get("plan") or "{}")
        origin = json.loads(row.get("origin") or "{}")
        new = sum(p["theme"] == row["theme"] for p in data["pledges"])
        count = len(origin.get("members", [])) + sum(origin.get("others", {}).values()) + new
        out.append({"theme": row["theme"], "title": titles.get(row["theme"], ""),
                    "plan": {k: stored.get(k, "") for k in PLAN_ORDER}, "members_count": count})  # fmt: skip
    return out


def agreements(data: dict) -> list[dict]:
    """The agreements of a terugkombijeenkomst still made, with their groups' titles: ``[{id,
    text, themes, groups, who, due}]``, oldest first; empty for an evening. (The plain data holds
    the stored rows: ``themes`` as ``"1,3"``, removed ones marked.)"""
    titles = {t["id"]: t["title"] for t in data["themes"]}
    out = []
    for a in sorted(data.get("agreements", []), key=lambda a: a["id"]):
        if a.get("removed"):
            continue
        raw = a.get("themes") or ""
        themes = raw if isinstance(raw, list) else [int(t) for t in str(raw).split(",") if t]
        groups = [titles.get(t, "") for t in themes]
        out.append({"id": a["id"], "text": a["text"], "themes": themes, "groups": groups,
                    "who": a.get("who") or "", "due": a.get("due") or ""})  # fmt: skip
    return out


def download_name(data: dict, theme: int | None, ext: str) -> str:
    """The file name of the working-group list (``ext``: ``csv`` or ``xlsx``): all groups
    ``werkgroepen-K7HQA.csv``; one group (``?thema=3``) ``werkgroep-K7HQA-3-veilig-verkeer.csv``,
    so a saved file says which group it holds. ASCII letters, digits and dashes only (accents
    dropped, other scripts left out), so the Content-Disposition header needs no encoding."""
    code = data["meeting"]["code"]
    if theme is None:
        return f"werkgroepen-{code}.{ext}"
    title = next((t["title"] for t in data["themes"] if t["id"] == theme), "")
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-")
    return f"werkgroep-{code}-{theme}" + (f"-{slug}" if slug else "") + f".{ext}"
