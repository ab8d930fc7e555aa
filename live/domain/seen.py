"""What each role may see: the public state and the tallies, trimmed for the beamer."""

from __future__ import annotations

from live.domain.model import ANSWERS, ROLES, WHOLE, Meeting


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
        "kind": meeting.kind,
        "presenting": meeting.presenting,
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
