"""Step 5 of the method: the terugkombijeenkomst, a meeting of its own kind made from evenings.

Owns the kind of a meeting, the phases of a terugkombijeenkomst, the working groups' plan fields
and status, the agreements, tops and questions, who may write what in which phase, and the pure
decision of which of an evening's themes become groups (every theme with a pledge, with its card
and its members: name and contact only of those who agreed to share, counts for the rest). Pure:
no store, no clock, no network. A refusal raises ``Refused(slug)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from live.domain.keys import normalise_code
from live.domain.model import (
    MAX_ADDITION,
    MAX_DESCRIPTION,
    MAX_THEMES,
    MAX_TITLE,
    PHASES,
    ROLES,
    Meeting,
    Refused,
    Theme,
)
from live.domain.text import clean_text, is_blank

EVENING, FOLLOW_UP = "avond", "terugkom"
KINDS = (EVENING, FOLLOW_UP)
FOLLOW_UP_PHASES = ("lobby", "presentations", "agreements", "results")
# Every phase any kind of meeting may be in (an archive may hold either kind).
ALL_PHASES = tuple(dict.fromkeys((*PHASES, *FOLLOW_UP_PHASES)))

# The plan of approach (plan van aanpak), one plain field each: what we want to reach, what we
# will do, who does what, what we need and from whom, when, and the first step.
PLAN_FIELDS = ("goal", "actions", "tasks", "needs", "when", "first_step")
# The adviser's call list: how a group is doing (loopt, loopt vast, vraagt hulp).
GROUP_STATUSES = ("loopt", "loopt_vast", "vraagt_hulp")
# What phones send to a presenting group: a top first, a question that helps.
ADDITION_KINDS = ("top", "question")

MAX_PLAN_FIELD = 1000
MAX_AGREEMENT = 500
MAX_WHO = 200
MAX_DUE = 40
MAX_HOST_NOTE = 1000
# Evenings one terugkombijeenkomst may be made from.
MAX_FROM = 10
MAX_AGREEMENTS = 200

# Which phases of a terugkombijeenkomst accept which action (an action not named here is refused
# ``wrong_phase`` there: the recognition, choice and card of the evening are not part of it).
# Host actions without a phase rule are not named and take any phase (see ``action_phases``).
FOLLOW_UP_ACTION_PHASES = {
    "addition": ("presentations",),
    "pledge": ("agreements", "results"),
    "withdraw": ("agreements", "results"),
    "agreement": ("agreements", "results"),
    "edit_agreement": ("agreements", "results"),
    "remove_agreement": ("agreements", "results"),
}
# The group link writes its plan up to the meeting; during it the group presents.
GROUP_PLAN_PHASES = ("lobby",)
# Attendee actions of the evening only: refused in a terugkombijeenkomst.
EVENING_ONLY = ("vote", "choose", "note", "edit_note", "remove_note", "endorse")


def phases_of(kind: str) -> tuple:
    """The phases of a meeting of this kind, in order."""
    return FOLLOW_UP_PHASES if kind == FOLLOW_UP else PHASES


def require_kind(meeting: Meeting, kind: str = FOLLOW_UP) -> None:
    """Refuse an action that belongs to another kind of meeting (``wrong_kind``)."""
    if meeting.kind != kind:
        raise Refused("wrong_kind")


def _or_none(value):
    """An optional text: "" and None both mean empty; anything else is checked as text."""
    return None if value == "" else value


def _id(raw, slug: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw < 2**53:
        raise Refused(slug)
    return raw


# -- creating one from evenings --------------------------------------------------------------


def parse_new_follow_up(data) -> dict:
    """The create-meeting input of a terugkombijeenkomst: title, place, date, day, Wi-Fi and
    ``from``: the evenings it is made from, each ``{code, host_key}`` (``from_required`` when there
    is none, ``bad_from`` when one cannot be read or an evening is named twice)."""
    from live.domain.creating import parse_day  # (checks imports this module; wifi imports checks)
    from live.domain.wifi import parse_wifi

    if not isinstance(data, dict):
        raise Refused("bad_payload")
    sources = data.get("from")
    if sources is None or sources == []:
        raise Refused("from_required")
    if not isinstance(sources, list) or len(sources) > MAX_FROM:
        raise Refused("bad_from")
    evenings = []
    for item in sources:
        if not isinstance(item, dict) or not isinstance(item.get("host_key"), str):
            raise Refused("bad_from")
        code = normalise_code(item.get("code"))
        if code is None or len(item["host_key"]) > 100:
            raise Refused("bad_from")
        evenings.append((code, item["host_key"]))
    if len({code for code, _key in evenings}) != len(evenings):
        raise Refused("bad_from")
    return {
        "title": clean_text(data.get("title"), MAX_TITLE),
        "place": clean_text(data.get("place") or None, MAX_TITLE, required=False),
        "date": clean_text(data.get("date") or None, 40, required=False),
        "wifi": parse_wifi(data.get("wifi")),
        "held_on": parse_day(data.get("held_on")),
        "from": evenings,
    }


def groups_from_evenings(evenings: Iterable[Mapping]) -> tuple[list[Theme], list[dict]]:
    """The themes and groups of a new terugkombijeenkomst from its evenings' exports (the
    store's plain data, ``Store.export_meeting``, with ``meeting.code``). Every live theme with at
    least one pledge becomes a group, in the evenings' order and then the host's: its title and
    description, its subgroup card, its members (name, contact and role of those who agreed to
    share with their group; how many per role of the others). ``no_groups`` when no theme has a
    pledge, ``too_many_themes`` beyond ``MAX_THEMES``."""
    themes: list[Theme] = []
    groups: list[dict] = []
    for evening in evenings:
        code = evening["meeting"]["code"]
        pledges: dict[int, list] = {}
        for row in evening.get("pledges", []):
            pledges.setdefault(row["theme"], []).append(row)
        notes: dict[int, list] = {}
        for row in evening.get("notes", []):
            if row.get("text"):
                notes.setdefault(row["theme"], []).append({"field": row["field"], "text": row["text"]})
        for row in evening.get("themes", []):
            if row.get("removed") or row["id"] not in pledges:
                continue
            members, others = [], dict.fromkeys(ROLES, 0)
            for pledge in pledges[row["id"]]:
                if pledge.get("share") and pledge.get("name"):
                    members.append(
                        {
                            "name": pledge["name"],
                            "email": pledge.get("email", ""),
                            "phone": pledge.get("phone", ""),
                            "role": pledge["role"],
                        }
                    )
                else:
                    others[pledge["role"]] = others.get(pledge["role"], 0) + 1
            theme_id = len(themes) + 1
            title = clean_text(row["title"], MAX_TITLE)
            description = clean_text(row.get("description") or None, MAX_DESCRIPTION, required=False)
            themes.append(Theme(theme_id, title, description))
            origin = {
                "from": code,
                "theme": row["id"],
                "card": notes.get(row["id"], []),
                "members": members,
                "others": others,
            }
            groups.append({"theme": theme_id, "origin": json.dumps(origin, ensure_ascii=False)})
    if not groups:
        raise Refused("no_groups")
    if len(themes) > MAX_THEMES:
        raise Refused("too_many_themes")
    return themes, groups


# -- what the group link, the phones and the host send -----------------------------------------


def check_plan(meeting: Meeting, payload: dict, theme: int | None = None) -> dict:
    """Fields of a group's plan: ``{fields: {name: text}}`` (an empty text clears a field). The
    group link writes its own group's plan (``theme``); the host names the group (``theme`` in the
    payload)."""
    require_kind(meeting)
    if theme is None:
        theme = meeting.theme(payload.get("theme")).id
    elif payload.get("theme") not in (None, theme):
        raise Refused("not_your_group")
    fields = payload.get("fields")
    if not isinstance(fields, dict) or not fields or any(name not in PLAN_FIELDS for name in fields):
        raise Refused("bad_field")
    cleaned = {
        name: clean_text(_or_none(text), MAX_PLAN_FIELD, multiline=True, required=False)
        for name, text in fields.items()
    }
    return {"theme": theme, "fields": cleaned}


def check_ask_help(meeting: Meeting, payload: dict, theme: int) -> dict:
    """A group presses "wij willen hulp": its status becomes ``vraagt_hulp`` on the host's list."""
    require_kind(meeting)
    return {"theme": theme, "status": "vraagt_hulp"}


def check_group_status(meeting: Meeting, payload: dict) -> dict:
    """The host's call list: a group's ``status``, the ``called_on`` day of the last call ("" to
    clear) and a ``note`` only the host sees; at least one of them."""
    require_kind(meeting)
    theme = meeting.theme(payload.get("theme")).id
    out: dict = {"theme": theme}
    if payload.get("status") is not None:
        if payload["status"] not in GROUP_STATUSES:
            raise Refused("bad_status")
        out["status"] = payload["status"]
    if "called_on" in payload:
        from live.domain.creating import parse_day

        out["called_on"] = parse_day(payload.get("called_on"))
    if "note" in payload:
        out["host_note"] = clean_text(
            _or_none(payload.get("note")), MAX_HOST_NOTE, multiline=True, required=False
        )
    if len(out) == 1:
        raise Refused("bad_payload")
    return out


def check_presenting(meeting: Meeting, payload: dict) -> dict:
    """The group that presents now (``theme``), or nobody (``null``)."""
    require_kind(meeting)
    theme = payload.get("theme")
    return {"theme": None if theme is None else meeting.theme(theme).id}


def check_follow_up_addition(meeting: Meeting, payload: dict) -> dict:
    """A top or a question from a phone to a group while the groups present; moderated before
    the beamer shows it, like an addition of the evening."""
    theme = meeting.theme(payload.get("theme"))
    kind = payload.get("kind")
    if kind not in ADDITION_KINDS:
        raise Refused("bad_kind")
    text = clean_text(payload.get("text"), MAX_ADDITION, multiline=True)
    return {"theme": theme.id, "text": text, "kind": kind}


def _agreement_themes(meeting: Meeting, raw) -> list[int]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_THEMES:
        raise Refused("bad_themes")
    ids = {meeting.theme(t).id for t in raw}
    return sorted(ids)


def _agreement_fields(meeting: Meeting, payload: dict, required: bool) -> dict:
    out = {}
    if required or "text" in payload:
        out["text"] = clean_text(payload.get("text"), MAX_AGREEMENT, multiline=True)
    if required or "themes" in payload:
        out["themes"] = _agreement_themes(meeting, payload.get("themes"))
    if required or "who" in payload:
        out["who"] = clean_text(_or_none(payload.get("who")), MAX_WHO, required=False)
    if required or "due" in payload:
        due = payload.get("due")
        if due is not None and not isinstance(due, str):
            raise Refused("bad_payload")
        out["due"] = clean_text(due or None, MAX_DUE, required=False)
    return out


def check_agreement(meeting: Meeting, payload: dict) -> dict:
    """A new agreement: ``text``, the groups that carry it out (``themes``: one or more), and
    optionally ``who`` and ``due`` (a day or a few words: "voor de zomer")."""
    require_kind(meeting)
    return _agreement_fields(meeting, payload, required=True)


def check_edit_agreement(meeting: Meeting, payload: dict) -> dict:
    """New text, groups, who or due for one agreement (the fields sent; at least one)."""
    require_kind(meeting)
    agreement = _id(payload.get("agreement"), "unknown_agreement")
    fields = _agreement_fields(meeting, payload, required=False)
    if not fields:
        raise Refused("bad_payload")
    return {"agreement": agreement, **fields}


def check_remove_agreement(meeting: Meeting, payload: dict) -> dict:
    """Take one agreement away."""
    require_kind(meeting)
    return {"agreement": _id(payload.get("agreement"), "unknown_agreement")}


def next_agreement(ids: Iterable[int], live: int) -> int:
    """The id of a new agreement (never one used before in the meeting, removed ones included);
    ``too_many_agreements`` past ``MAX_AGREEMENTS`` live ones."""
    if live >= MAX_AGREEMENTS:
        raise Refused("too_many_agreements")
    return max(ids, default=0) + 1


def plan_of(raw: str) -> dict:
    """A stored plan (JSON text) with every field present."""
    stored = json.loads(raw) if raw else {}
    return {name: stored.get(name, "") for name in PLAN_FIELDS}


def merged_plan(raw: str, fields: Mapping[str, str]) -> str:
    """The stored plan with these fields written (JSON text)."""
    return json.dumps({**plan_of(raw), **fields}, ensure_ascii=False)


def erased_origin(raw: str) -> str:
    """A group's origin with its members' names and contacts and its card texts blanked (the
    counts stay): what erasure leaves."""
    if not raw:
        return raw
    origin = json.loads(raw)
    origin["members"] = [{**m, "name": "", "email": "", "phone": ""} for m in origin.get("members", [])]
    origin["card"] = [{**c, "text": ""} for c in origin.get("card", [])]
    return json.dumps(origin, ensure_ascii=False)


def group_view(row: Mapping, role: str) -> dict:
    """One group as a role sees it: the host everything (plan, status, last call, note, card,
    members with names); the group link its plan, card and members, never status or note; the
    beamer its plan and how many members, never names."""
    origin = json.loads(row.get("origin") or "{}")
    members = [m for m in origin.get("members", []) if m.get("name")]
    others = origin.get("others", {})
    count = len(origin.get("members", [])) + sum(others.values())
    view = {"theme": row["theme"], "plan": plan_of(row.get("plan", "")), "members_count": count}
    if role in ("host", "group"):
        view["card"] = origin.get("card", [])
        view["members"] = members
        view["others"] = others
        view["from"] = {"code": origin.get("from"), "theme": origin.get("theme")}
    if role == "host":
        view.update(status=row.get("status", "loopt"), called_on=row.get("called_on", ""),
                    note=row.get("host_note", ""))  # fmt: skip
    return view


def is_blank_plan(raw: str) -> bool:
    """Whether a group has written nothing in its plan yet."""
    return all(is_blank(v) for v in plan_of(raw).values())
