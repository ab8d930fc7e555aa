"""The evening's record and a working group's page, as plain values for the templates.

Counts come from the rows themselves (votes, choices, pledges, hand counts), so the record of an
imported meeting is the record of the original. Names never appear in the record: volunteers are
counted per role. Bar charts are drawn by the template as SVG from the numbers given here, with a
fill per answer that reads in black and white (solid, hatched, open) and the number beside each bar.
"""

from __future__ import annotations

import datetime

from live.domain import rules
from live.exports import (
    ROLE_ORDER,
    agreements,
    follow_up_groups,
    origins,
    phone_for_people,
    theme_order,
    working_groups,
)
from live.texts import ANSWER_LABELS, CARD_LABELS, MONTHS, PLAN_LABELS

ANSWERS = ("yes", "partly", "no")
WHOLE = 0
BAR_WIDTH = 240  # the longest bar, in SVG units


def dutch_date(iso: str) -> str:
    """``2026-03-12`` as ``12 maart 2026``; other text as it is."""
    try:
        day = datetime.date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def dutch_time(hhmm: str) -> str:
    """``19:30`` (as stored and sent) as Dutch writes it: ``19.30 uur``; no time stays ""."""
    return f"{hhmm.replace(':', '.')} uur" if hhmm else ""


def follow_up_words(first: dict | None) -> str:
    """A working group's first meeting in words: ``3 december 2026, 19.30 uur, Buurthuis``."""
    first = first or {}
    parts = (dutch_date(first.get("date", "")), dutch_time(first.get("time", "")), first.get("place", ""))
    return ", ".join(part for part in parts if part)


def erase_on(held_on: str, retention_days: int) -> str:
    """The ISO day on which names and contact details are erased (within an hour of its start):
    the store's rule (``rules.erasure_due``), "" for a day that cannot be read."""
    return rules.erase_day(held_on, retention_days)


def _status(theme: dict, titles: dict) -> str:
    if theme.get("merged_into") is not None:
        return f"samengevoegd met {titles.get(theme['merged_into'], '')}".strip()
    return "van het scherm gehaald" if theme["removed"] else "besproken"


ORIGINS = ("phone", "paper", "helper")


def recognition_rows(data: dict) -> list[dict]:
    """Per theme (the whole first) the answers per way of taking part (``by``: own phone, paper
    form, with a helper; ``phones`` is the first of these) and from raised hands, their sum, how
    many chose it at the tables and the volunteers per role."""
    themes = theme_order(data)
    titles = {t["id"]: t["title"] for t in themes}
    rows = [{"id": WHOLE, "title": "De analyse als geheel", "status": "besproken"}]
    rows += [{"id": t["id"], "title": t["title"], "status": _status(t, titles)} for t in themes]
    for row in rows:
        row.update(
            by={origin: dict.fromkeys(ANSWERS, 0) for origin in ORIGINS},
            hands=dict.fromkeys(ANSWERS, 0),
            chosen=0,
            roles=dict.fromkeys(ROLE_ORDER, 0),
        )
    by_id = {r["id"]: r for r in rows}
    # A paper form or a person helped is counted with its own way of taking part, never as a phone.
    where = origins(data)
    for v in data["votes"]:
        if v["theme"] in by_id:
            origin = where.get(v["participant"], "phone")
            by_id[v["theme"]]["by"].setdefault(origin, dict.fromkeys(ANSWERS, 0))[v["answer"]] += 1
    for m in data["manual_counts"]:
        if m["theme"] in by_id:
            by_id[m["theme"]]["hands"][m["answer"]] += m["count"]
    for c in data["choices"]:
        if c["theme"] in by_id:
            by_id[c["theme"]]["chosen"] += 1
    for p in data["pledges"]:
        if p["theme"] in by_id and p["role"] in ROLE_ORDER:
            by_id[p["theme"]]["roles"][p["role"]] += 1
    for row in rows:
        row["phones"] = row["by"]["phone"]
        row["total"] = {a: sum(n[a] for n in row["by"].values()) + row["hands"][a] for a in ANSWERS}
        row["answered"] = sum(row["total"].values())
    return rows


def _bars(row: dict, most: int) -> list[dict]:
    """Three bars for the SVG chart: label, number, width and the pattern that tells them apart."""
    return [
        {
            "answer": a,
            "label": ANSWER_LABELS[a],
            "count": row["total"][a],
            "width": round(BAR_WIDTH * row["total"][a] / most) if most else 0,
            "y": 4 + i * 30,
        }
        for i, a in enumerate(ANSWERS)
    ]


def endorsement_counts(data: dict) -> dict[int, dict]:
    """Per addition (a group's root): how many recognised themselves in it, ``{phone, forms,
    hands, total}`` (forms: paper forms and people a helper helped). Counts only, never who."""
    origin = {p["id"]: p.get("origin") or "phone" for p in data.get("participants", [])}
    counts: dict[int, dict] = {}

    def of(addition):
        return counts.setdefault(addition, {"phone": 0, "forms": 0, "hands": 0, "total": 0})

    for row in data.get("endorsements", []):
        entry = of(row["addition"])
        entry["phone" if origin.get(row["participant"], "phone") == "phone" else "forms"] += 1
        entry["total"] += 1
    for row in data.get("addition_hands", []):
        entry = of(row["addition"])
        entry["hands"] += row["count"]
        entry["total"] += row["count"]
    return counts


def merged_groups(data: dict) -> dict[int, int]:
    """Per addition that others were merged into: how many were merged into it."""
    groups: dict[int, int] = {}
    for a in data["additions"]:
        if a["status"] == "merged" and a.get("merged_into"):
            groups[a["merged_into"]] = groups.get(a["merged_into"], 0) + 1
    return groups


def merged_texts(data: dict) -> dict[int, list[str]]:
    """Per addition that others were merged into: their texts, oldest first (an erased text,
    past the retention, is left out; the count in ``merged_groups`` still holds it)."""
    texts: dict[int, list[str]] = {}
    for a in data["additions"]:
        if a["status"] == "merged" and a.get("merged_into") and a["text"]:
            texts.setdefault(a["merged_into"], []).append(a["text"])
    return texts


def record(data: dict, default_days: int) -> dict:
    """Everything the printed record of the evening shows, without a single name."""
    meeting = data["meeting"]
    rows = recognition_rows(data)
    most = max((max(r["total"].values()) for r in rows), default=0)
    people = data.get("participants", [])
    origin_count: dict[str, int] = {}
    for p in people:
        origin = p.get("origin") or "phone"
        origin_count[origin] = origin_count.get(origin, 0) + 1
    additions = data["additions"]
    endorsed, groups, said = endorsement_counts(data), merged_groups(data), merged_texts(data)
    nobody = {"phone": 0, "forms": 0, "hands": 0, "total": 0}
    for row in rows:
        mine = [a for a in additions if a["theme"] == row["id"]]
        row["bars"] = _bars(row, most)
        # Each shown addition with how many recognised themselves in it, how many said it (itself
        # and what was merged into it) and the texts merged into it.
        row["shown"] = [
            {
                "text": a["text"],
                "endorsed": endorsed.get(a["id"], nobody),
                "merged": groups.get(a["id"], 0),
                "mentions": groups.get(a["id"], 0) + 1,
                "merged_texts": said.get(a["id"], []),
            }
            for a in mine
            if a["status"] == "shown" and a["text"]
        ]
        row["hidden"] = sum(a["status"] == "hidden" for a in mine)
        row["merged"] = sum(a["status"] == "merged" for a in mine)
        row["promoted"] = sum(a["status"] == "promoted" for a in mine)
        row["pending"] = sum(a["status"] == "pending" for a in mine)
        row["card"] = [
            {"label": CARD_LABELS.get(n["field"], n["field"]), "text": n["text"]}
            for n in data["notes"]
            if n["theme"] == row["id"] and n["text"]
        ]
    # The analysis as a whole is asked about only at some evenings: left out when nobody did.
    whole_used = any(a["theme"] == WHOLE for a in additions)
    rows = [r for r in rows if r["id"] != WHOLE or r["answered"] or whole_used]
    days = meeting.get("retention_days")
    days = default_days if days is None else days
    return {
        "meeting": meeting,
        "held_on": dutch_date(meeting.get("held_on", "")),
        "erase_on": dutch_date(erase_on(meeting.get("held_on", ""), days)),
        "retention_days": days,
        "phones": origin_count.get("phone", 0),
        "paper": origin_count.get("paper", 0),
        "helper": origin_count.get("helper", 0),
        "hands": max((sum(r["hands"].values()) for r in rows), default=0),
        "rows": rows,
        "bar_width": BAR_WIDTH,
        "additions": {
            s: sum(a["status"] == s for a in additions)
            for s in ("shown", "hidden", "merged", "promoted", "pending")
        },
        # A terugkombijeenkomst: each group's plan (with how many take part) and the agreements,
        # without who (a name the host typed): the record carries no names.
        "plans": [
            {**g, "plan": [{"label": PLAN_LABELS[k], "text": v} for k, v in g["plan"].items() if v]}
            for g in follow_up_groups(data)
        ],
        "agreements": [{**a, "who": ""} for a in agreements(data)],
    }


def group_page(data: dict, theme: int) -> dict | None:
    """One working group as its members see it: only who agreed to share, the card, the trekkers
    marked, the first follow-up meeting, and the BCC list for "mail de groep"."""
    groups = working_groups(data, theme, shared_only=True)
    if not groups:
        return None
    group = groups[0]
    emails = [p["email"] for p in group["members"] if p["email"]]
    group["members"] = [{**p, "phone": phone_for_people(p["phone"])} for p in group["members"]]
    return {
        **group,
        "card": [
            {"label": CARD_LABELS.get(n["field"], n["field"]), "text": n["text"]} for n in group["notes"]
        ],
        "bcc": ",".join(emails),
        "follow_up_words": follow_up_words(group["follow_up"]),
    }
