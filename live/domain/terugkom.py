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
from dataclasses import dataclass

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


def require_group(meeting: Meeting, theme: int) -> None:
    """Refuse a group link whose group was merged or removed while its page stayed open."""
    if not any(t.id == theme for t in meeting.themes):
        raise Refused("unknown_group")


def check_plan(meeting: Meeting, payload: dict, theme: int | None = None) -> dict:
    """Fields of a group's plan: ``{fields: {name: text}}`` (an empty text clears a field). The
    group link writes its own group's plan (``theme``); the host names the group (``theme`` in the
    payload)."""
    require_kind(meeting)
    if theme is None:
        theme = meeting.theme(payload.get("theme")).id
    elif payload.get("theme") not in (None, theme):
        raise Refused("not_your_group")
    else:
        require_group(meeting, theme)
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
    require_group(meeting, theme)
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


# -- the host adds, merges and removes groups during the meeting ---------------------------------


def new_group(theme: int) -> dict:
    """The row of a group the host adds (``add_theme`` in a terugkombijeenkomst): an empty plan,
    nobody from an evening yet, and no key until ``set_group_key`` stores its hash (until then its
    link opens nothing)."""
    return {"theme": theme, "key_hash": "", "origin": ""}


def group_key_target(row: object, theme_alive: bool) -> dict:
    """The check of ``set_group_key``: the group (``row``: its stored row, None when there is
    none) must still be in the meeting (``unknown_group``)."""
    if row is None or not theme_alive:
        raise Refused("unknown_group")
    return {"ok": True}


def _origin(raw: str) -> dict:
    origin = json.loads(raw) if raw else {}
    return {
        "from": origin.get("from"),
        "theme": origin.get("theme"),
        "card": list(origin.get("card", [])),
        "members": list(origin.get("members", [])),
        "others": dict(origin.get("others", {})),
    }


def merged_origin(target: str, merged: str) -> str:
    """The target group's origin with the merged group's members, counts and card added (a member
    listed in both once); "" when neither has one (two groups the host added)."""
    if not target and not merged:
        return ""
    into, other = _origin(target), _origin(merged)
    if into["from"] is None:
        into["from"], into["theme"] = other["from"], other["theme"]
    into["members"] += [m for m in other["members"] if m not in into["members"]]
    into["card"] += other["card"]
    for role, n in other["others"].items():
        into["others"][role] = into["others"].get(role, 0) + n
    return json.dumps(into, ensure_ascii=False)


def appended_plan(target: str, merged: str, merged_title: str = "") -> str:
    """The target group's plan with each non-empty field of the merged group's plan after its own
    (under the merged group's title when both wrote something), so nothing written is lost from
    the screens; a field that would pass ``MAX_PLAN_FIELD`` is cut there with "…" (the merged
    group's row keeps its whole plan in the store and the archive)."""
    if is_blank_plan(merged):
        return target
    into, other = plan_of(target), plan_of(merged)
    for name in PLAN_FIELDS:
        text = other[name]
        if is_blank(text):
            continue
        if is_blank(into[name]):
            joined = text
        else:
            joined = f"{into[name]}\n\n{merged_title}: {text}" if merged_title else f"{into[name]}\n\n{text}"
        into[name] = joined if len(joined) <= MAX_PLAN_FIELD else joined[: MAX_PLAN_FIELD - 1] + "…"
    return json.dumps(into, ensure_ascii=False)


@dataclass(frozen=True)
class GroupMerge:
    """The group writes of a theme merge in a terugkombijeenkomst (besides the theme merge of
    ``rules.merge_themes``): the target's new ``plan`` and ``origin`` (JSON text), the merged
    group's key dropped (``drop_key``: its link opens nothing any more), the agreements that named
    the merged group (``agreements``: id -> their groups now) and whether nobody presents any more
    (``reset_presenting``: the merged group was presenting)."""

    theme: int
    into: int
    plan: str
    origin: str
    drop_key: str
    agreements: dict
    reset_presenting: bool


def _renamed_agreements(agreements: Iterable[tuple[int, list[int]]], theme: int, into: int | None) -> dict:
    """Agreements naming ``theme``: with ``into`` instead (once), or (None) without it."""
    out = {}
    for agreement, themes in agreements:
        if theme not in themes:
            continue
        rest = {t for t in themes if t != theme}
        if into is not None:
            rest.add(into)
        out[agreement] = sorted(rest)
    return out


def merge_groups(
    theme: int,
    into: int,
    merged: Mapping | None,
    target: Mapping | None,
    agreements: Iterable[tuple[int, list[int]]],
    presenting: int | None,
    merged_title: str = "",
) -> GroupMerge:
    """Put a working group together with another, as a facilitator would: its members (those who
    share and the counts of the others) and its card join ``into``; ``into``'s plan is kept and
    every field the merged group wrote is added after it; agreements that named the merged group
    name ``into`` now; the merged group's key stops opening anything. ``merged``, ``target``: the
    two group rows (``{plan, origin, key_hash}``; None when a group has no row); ``agreements``:
    ``(id, [themes])`` of the live agreements; ``presenting``: the group presenting now."""
    merged = merged or {}
    target = target or {}
    return GroupMerge(
        theme,
        into,
        appended_plan(target.get("plan", ""), merged.get("plan", ""), merged_title),
        merged_origin(target.get("origin", ""), merged.get("origin", "")),
        merged.get("key_hash", ""),
        _renamed_agreements(agreements, theme, into),
        presenting == theme,
    )


@dataclass(frozen=True)
class GroupRemoval:
    """The group writes of ``remove_theme`` in a terugkombijeenkomst: the agreements that named
    the removed group keep their other groups (``agreements``: id -> their groups now); one that
    named only this group is taken away with it (``removed``: their ids, kept in the archive);
    nobody presents any more when it was presenting (``reset_presenting``). The group's row and
    key stay, so its link can say that the group is no longer part of the meeting."""

    agreements: dict
    removed: tuple
    reset_presenting: bool


def remove_group(
    theme: int, agreements: Iterable[tuple[int, list[int]]], presenting: int | None
) -> GroupRemoval:
    """Take a working group out of the meeting (after ``rules.remove_theme`` allowed it)."""
    renamed = _renamed_agreements(agreements, theme, None)
    kept = {n: themes for n, themes in renamed.items() if themes}
    removed = tuple(sorted(n for n, themes in renamed.items() if not themes))
    return GroupRemoval(kept, removed, presenting == theme)
